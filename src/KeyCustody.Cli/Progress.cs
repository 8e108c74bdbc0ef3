using KeyCustody.Protos.V1;

namespace KeyCustody.Cli;

/// <summary>What a person needs to know while the daemon works on a request, on stderr.</summary>
internal static class Progress
{
    /// <summary>What the person needs to know while the daemon works: queue position, touch, approval.</summary>
    public static void Show(SignEvent e)
    {
        switch (e.EventCase)
        {
            case SignEvent.EventOneofCase.Accepted:
                Console.Error.WriteLine($"request {e.Accepted.RequestId}: {e.Accepted.Intent}");
                break;
            case SignEvent.EventOneofCase.Queued:
                Console.Error.WriteLine($"waiting for the token ({e.Queued.Position} ahead)");
                break;
            case SignEvent.EventOneofCase.PresenceRequired when e.PresenceRequired.Method == PresenceRequired.Types.Method.Touch:
                Console.Error.WriteLine($"touch your YubiKey (serial {e.PresenceRequired.TokenSerial}) within {e.PresenceRequired.TimeoutSeconds} s to {e.PresenceRequired.Intent}");
                break;
            case SignEvent.EventOneofCase.PresenceRequired:
                Console.Error.WriteLine($"waiting up to {e.PresenceRequired.TimeoutSeconds} s for an operator to approve: keycustody approve {e.PresenceRequired.RequestId}");
                break;
        }
    }
}
