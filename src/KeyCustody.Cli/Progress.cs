using KeyCustody.Protos.V1;

namespace KeyCustody.Cli;

/// <summary>
/// What a person needs to know while the daemon works on a request, on stderr: the intent, the queue,
/// and a clear line while a touch or an approval is awaited. On a terminal that line is coloured and
/// carries a spinner with the seconds left; otherwise (scripts, logs) plain lines only. NO_COLOR is honoured. What the
/// daemon sends is escaped (control, format and bidirectional characters shown as \u{XXXX}) before it is printed.
/// </summary>
internal static class Progress
{
    private static readonly bool Terminal = !Console.IsErrorRedirected;
    private static readonly bool Colour = Terminal && Environment.GetEnvironmentVariable("NO_COLOR") is null;
    private static readonly Lock Gate = new();
    private static Timer? _spinner;
    private static int _frame;

    public static void Show(SignEvent e)
    {
        Stop();
        switch (e.EventCase)
        {
            case SignEvent.EventOneofCase.Accepted:
                Line($"request {Shown(e.Accepted.RequestId)}: {Shown(e.Accepted.Intent)}", null);
                break;
            case SignEvent.EventOneofCase.Queued:
                Line($"waiting for the token ({e.Queued.Position} ahead)", null);
                break;
            case SignEvent.EventOneofCase.PresenceRequired when e.PresenceRequired.Method == PresenceRequired.Types.Method.Touch:
                Waiting($"touch your {Device(e.PresenceRequired)} (serial {Shown(e.PresenceRequired.TokenSerial)}) to {Shown(e.PresenceRequired.Intent)}", e.PresenceRequired.TimeoutSeconds);
                break;
            case SignEvent.EventOneofCase.PresenceRequired:
                Waiting($"waiting for an operator to approve: keycustody approve {Shown(e.PresenceRequired.RequestId)}", e.PresenceRequired.TimeoutSeconds);
                break;
            case SignEvent.EventOneofCase.Signed:
                Line("signed", "32");
                break;
        }
    }

    /// <summary>Ends a spinner line, if one is running (also before an error is printed).</summary>
    public static void Stop()
    {
        lock (Gate)
        {
            if (_spinner is null)
            {
                return;
            }

            _spinner.Dispose();
            _spinner = null;
            Console.Error.WriteLine();
        }
    }

    /// <summary>The device the daemon names (the token reports it); a daemon that names none gets the neutral word.</summary>
    internal static string Device(PresenceRequired p) => p.TokenDevice.Length > 0 ? Shown(p.TokenDevice) : "security key";

    /// <summary>The daemon's words as a person may see them: it escapes what callers wrote, and so does the CLI, whatever daemon it talks to.</summary>
    private static string Shown(string text) => KeyCustody.Matrix.DisplayText.Escape(text);

    private static void Line(string text, string? colour) =>
        Console.Error.WriteLine(Colour && colour is not null ? $"\u001b[{colour}m{text}\u001b[0m" : text);

    private static void Waiting(string text, int timeoutSeconds)
    {
        if (!Terminal)
        {
            Console.Error.WriteLine($"{text} (within {timeoutSeconds} s)");
            return;
        }

        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        const string frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
        lock (Gate)
        {
            _spinner = new Timer(_ =>
            {
                lock (Gate)
                {
                    if (_spinner is null)
                    {
                        return;
                    }

                    var left = Math.Max(0, (int)(deadline - DateTime.UtcNow).TotalSeconds);
                    var line = $"{frames[_frame++ % frames.Length]} {text} ({left} s left)";
                    Console.Error.Write("\r" + (Colour ? $"\u001b[1;33m{line}\u001b[0m\u001b[K" : line));
                }
            }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        }
    }
}
