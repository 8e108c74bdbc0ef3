using System.CommandLine;
using System.Net.Sockets;
using KeyCustody.HwSim.Control;

namespace KeyCustody.HwSim.Cli;

/// <summary><c>keycustody-hwsim touch|mode|unplug|plug|latency|status|apdus --control SOCKET</c>: talk to a running simulator.</summary>
internal static class ControlCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return Simple("touch", "Press the button of the card(s) waiting for a touch");
        yield return Simple("plug", "Put the card(s) back into the reader");
        yield return Simple("status", "Show the cards: presence, power, touch mode, retries");

        var modeArgument = new Argument<string>("mode") { Description = "auto, manual or never" };
        modeArgument.AcceptOnlyFromAmong("auto", "manual", "never");
        var delay = new Option<int?>("--delay") { Description = "auto mode: milliseconds until the touch" };
        var timeout = new Option<int?>("--timeout") { Description = "milliseconds until an untouched operation fails" };
        yield return WithControl(new Command("mode", "Change how the button behaves") { modeArgument, delay, timeout }, result =>
        {
            var words = new List<string> { "mode", result.GetValue(modeArgument)! };
            if (result.GetValue(delay) is { } d)
            {
                words.Add($"delay={d}");
            }

            if (result.GetValue(timeout) is { } t)
            {
                words.Add($"timeout={t}");
            }

            return words;
        });

        var during = new Option<string?>("--during") { Description = "instead of now: pull the card during the next command ('next') or the next with this INS (hex)" };
        var before = new Option<bool>("--before") { Description = "with --during: before the command runs (default: after it ran, answer lost)" };
        yield return WithControl(new Command("unplug", "Pull the card(s) out") { during, before }, result =>
        {
            var words = new List<string> { "unplug" };
            if (result.GetValue(during) is { } d)
            {
                words.Add($"during={d}");
                words.Add(result.GetValue(before) ? "point=before" : "point=after");
            }

            return words;
        });

        var reset = new Option<bool>("--reset") { Description = "set the counts to zero after reading them" };
        yield return WithControl(new Command("apdus", "Count the command APDUs the card(s) received, in total and per INS") { reset }, result =>
            result.GetValue(reset) ? ["apdus", "reset"] : ["apdus"]);

        var ms = new Option<int>("--ms") { Description = "milliseconds added to every APDU", Required = true };
        yield return WithControl(new Command("latency", "Add latency to every APDU") { ms }, result => ["latency", $"ms={result.GetValue(ms)}"]);
    }

    /// <summary>The "error" of a <c>{"ok":false,"error":"..."}</c> reply, or the whole reply if it is something else.</summary>
    private static string ErrorOf(string reply)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(reply);
            return document.RootElement.TryGetProperty("error", out var error) && error.GetString() is { } text ? text : reply;
        }
        catch (System.Text.Json.JsonException)
        {
            return reply;
        }
    }

    private static Command Simple(string verb, string description) =>
        WithControl(new Command(verb, description), _ => [verb]);

    private static Command WithControl(Command command, Func<ParseResult, List<string>> words)
    {
        var control = new Option<string>("--control") { Description = "the simulator's control socket", Required = true };
        var serial = new Option<uint?>("--serial") { Description = "only the card with this serial" };
        command.Add(control);
        command.Add(serial);
        command.SetAction(result =>
        {
            var request = words(result);
            if (result.GetValue(serial) is { } s)
            {
                request.Add($"serial={s}");
            }

            string reply;
            try
            {
                reply = ControlClient.Send(result.GetValue(control)!, string.Join(' ', request));
            }
            catch (SocketException e)
            {
                var path = result.GetValue(control)!;
                var why = File.Exists(path) ? e.Message : "there is no socket there";
                Console.Error.WriteLine($"error: cannot reach the simulator at {path}: {why} (is it running, and is --control right?)");
                return ExitCodes.Unavailable;
            }

            if (reply.StartsWith("{\"ok\":true", StringComparison.Ordinal))
            {
                Console.WriteLine(reply);
                return ExitCodes.Ok;
            }

            Console.Error.WriteLine("error: " + ErrorOf(reply));
            return ExitCodes.BadInput;
        });
        return command;
    }
}
