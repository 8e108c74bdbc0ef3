using System.Text.Json;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Control;

/// <summary>Executes control requests (touch, mode, unplug, plug, latency, status) against the running cards.</summary>
public sealed class ControlHandler
{
    private readonly IReadOnlyList<SimulatedCard> _cards;

    public ControlHandler(IReadOnlyList<SimulatedCard> cards)
    {
        _cards = cards;
    }

    /// <summary>Returns one line of JSON: <c>{"ok":true,...}</c> or <c>{"ok":false,"error":"..."}</c>.</summary>
    public string Handle(string line)
    {
        try
        {
            var request = ControlRequest.Parse(line);
            var targets = _cards.Where(c => request.Serial is null || c.Card.Serial == request.Serial).ToList();
            if (targets.Count == 0)
            {
                return Error($"no card with serial {request.Serial}");
            }

            return request.Verb switch
            {
                "status" => Status(targets),
                "touch" => Touch(targets),
                "mode" => Mode(targets, request),
                "unplug" => Unplug(targets, request),
                "plug" => Plug(targets),
                "latency" => Latency(targets, request),
                "apdus" => ApduCounts.Handle(targets, request),
                _ => Error($"unknown request '{request.Verb}' (status, touch, mode, unplug, plug, latency, apdus)"),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return Error(e.Message);
        }
    }

    private static string Status(List<SimulatedCard> targets) => Json(writer =>
    {
        writer.WriteStartArray("cards");
        foreach (var target in targets)
        {
            var status = target.Card.Status();
            writer.WriteStartObject();
            writer.WriteNumber("serial", status.Serial);
            writer.WriteBoolean("present", status.Present);
            writer.WriteBoolean("powered", status.Powered);
            writer.WriteString("touch_mode", status.TouchMode.ToString().ToLowerInvariant());
            writer.WriteBoolean("waiting_for_touch", status.WaitingForTouch);
            writer.WriteNumber("pin_retries", status.PinRetries);
            writer.WriteNumber("puk_retries", status.PukRetries);
            writer.WriteNumber("management_key_algorithm", (byte)status.ManagementKeyAlgorithm);
            writer.WriteString("profile", status.Profile);
            writer.WriteNumber("openpgp_pin_retries", status.OpenPgpPinRetries);
            writer.WriteNumber("openpgp_admin_pin_retries", status.OpenPgpAdminPinRetries);
            writer.WriteNumber("openpgp_signature_counter", status.OpenPgpSignatureCounter);
            if (target.Vpcd is { } vpcd)
            {
                writer.WriteString("vpcd", vpcd.Endpoint.ToString());
                writer.WriteBoolean("vpcd_connected", vpcd.IsConnected);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    private static string Touch(List<SimulatedCard> targets)
    {
        var touched = targets.Where(t => t.Card.Button.Touch()).Select(t => t.Card.Serial).ToList();
        return Json(writer =>
        {
            writer.WriteStartArray("touched");
            touched.ForEach(writer.WriteNumberValue);
            writer.WriteEndArray();
        });
    }

    private static string Mode(List<SimulatedCard> targets, ControlRequest request)
    {
        var modeName = request.Arguments.Keys.FirstOrDefault(k => k is "auto" or "manual" or "never")
            ?? throw new FormatException("mode needs auto, manual or never");
        var mode = Enum.Parse<TouchMode>(modeName, ignoreCase: true);
        foreach (var target in targets)
        {
            target.Card.Button.Configure(mode, request.Milliseconds("delay"), request.Milliseconds("timeout"));
        }

        return Json(_ => { });
    }

    private static string Unplug(List<SimulatedCard> targets, ControlRequest request)
    {
        if (request.Arguments.TryGetValue("during", out var during))
        {
            byte? ins = during == "next" ? null : Convert.ToByte(during, 16);
            var point = request.Arguments.TryGetValue("point", out var p) && p == "before"
                ? RemovalPoint.BeforeExecution
                : RemovalPoint.AfterExecution;
            targets.ForEach(t => t.Card.Faults.RemoveDuringNextCommand(ins, point));
        }
        else
        {
            targets.ForEach(t => t.Card.Unplug());
        }

        return Json(_ => { });
    }

    private static string Plug(List<SimulatedCard> targets)
    {
        targets.ForEach(t => t.Card.Plug());
        return Json(_ => { });
    }

    private static string Latency(List<SimulatedCard> targets, ControlRequest request)
    {
        var latency = request.Milliseconds("ms") ?? throw new FormatException("latency needs ms=N");
        targets.ForEach(t => t.Card.Faults.Latency = latency);
        return Json(_ => { });
    }

    internal static string Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ok", true);
            body(writer);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Error(string message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ok", false);
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
