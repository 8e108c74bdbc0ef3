using System.Globalization;

namespace KeyCustody.HwSim.Control;

/// <summary>
/// <c>apdus [reset]</c>: the command APDUs each card received since it started (or the last reset), in total and per
/// INS (hex keys), e.g. <c>{"ok":true,"cards":[{"serial":11409355,"total":3,"by_ins":{"87":2,"a4":1}}]}</c>. With
/// <c>reset</c> the counts are read and then set to zero, in one request.
/// </summary>
internal static class ApduCounts
{
    public static string Handle(List<SimulatedCard> targets, ControlRequest request)
    {
        bool reset = request.Arguments.ContainsKey("reset");
        return ControlHandler.Json(writer =>
        {
            writer.WriteStartArray("cards");
            foreach (var target in targets)
            {
                var counter = target.Card.Apdus;
                writer.WriteStartObject();
                writer.WriteNumber("serial", target.Card.Serial);
                writer.WriteNumber("total", counter.Total);
                writer.WriteStartObject("by_ins");
                foreach (var (ins, count) in counter.ByInstruction())
                {
                    writer.WriteNumber(ins.ToString("x2", CultureInfo.InvariantCulture), count);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                if (reset)
                {
                    counter.Reset();
                }
            }

            writer.WriteEndArray();
        });
    }
}
