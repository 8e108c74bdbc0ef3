using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Debian's ykman 4.0.9 (yubikey-manager) on a reader slot of the private pcscd. Its HOME is the test's work directory.
/// When it cannot connect, ykman 4.0.9 runs `pkill -9 scdaemon` (ykman/pcsc kill_scdaemon), which would kill every
/// scdaemon on a shared machine: a `pkill` that does nothing comes first on its PATH.
/// </summary>
internal static class Ykman
{
    public const string Program = "/usr/bin/ykman";

    public static CommandLineTool OnSlot(PrivatePcscd pcscd, int slot, string work) =>
        new(pcscd, Program, ["-r", PrivatePcscd.ReaderName(slot)], Environment(work));

    /// <summary>
    /// Commands that take no reader option (`ykman list`). ykman groups readers by the USB PID it reads from their names,
    /// and both vpcd slots have the same name: when the first (slot 0) is empty it gives up on the second, so `list`
    /// needs the card in slot 0.
    /// </summary>
    public static CommandLineTool WithoutReader(PrivatePcscd pcscd, string work) => new(pcscd, Program, [], Environment(work));

    private static Dictionary<string, string> Environment(string work)
    {
        var stubs = Directory.CreateDirectory(Path.Combine(work, "stub-bin")).FullName;
        var pkill = Path.Combine(stubs, "pkill");
        File.WriteAllText(pkill, "#!/bin/sh\necho \"pkill stubbed out by the hw-sim tests: $*\" >&2\nexit 1\n");
        File.SetUnixFileMode(pkill, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        return new Dictionary<string, string>
        {
            ["PATH"] = stubs + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"),
            ["HOME"] = work,
        };
    }
}
