using Microsoft.Win32.SafeHandles;

namespace KeyCustody.Tokens.Pcsc;

/// <summary>An SCARDCONTEXT, released with SCardReleaseContext.</summary>
internal sealed class SafeContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeContextHandle()
        : base(ownsHandle: true)
    {
    }

    public static SafeContextHandle Establish()
    {
        var result = NativeMethods.SCardEstablishContext(Scard.ScopeSystem, 0, 0, out var context);
        PcscErrors.ThrowIfFailed(result, "pcscd", "establishing a PC/SC context");
        var handle = new SafeContextHandle();
        handle.SetHandle(context);
        return handle;
    }

    protected override bool ReleaseHandle() => NativeMethods.SCardReleaseContext(handle) == 0;
}

/// <summary>An SCARDHANDLE, disconnected with SCARD_LEAVE_CARD. Keeps its context alive while it lives.</summary>
internal sealed class SafeCardHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private SafeContextHandle? _context;

    public SafeCardHandle()
        : base(ownsHandle: true)
    {
    }

    public static SafeCardHandle Own(nint card, SafeContextHandle context)
    {
        var handle = new SafeCardHandle();
        bool added = false;
        context.DangerousAddRef(ref added);
        handle._context = context;
        handle.SetHandle(card);
        return handle;
    }

    protected override bool ReleaseHandle()
    {
        bool ok = NativeMethods.SCardDisconnect(handle, Scard.LeaveCard) == 0;
        _context?.DangerousRelease();
        _context = null;
        return ok;
    }
}
