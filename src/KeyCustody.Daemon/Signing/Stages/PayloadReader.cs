using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Requests;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Signing.Stages;

/// <summary>The payloads as strict canonical-JSON objects within the configured limits; anything else is refused whole.</summary>
internal static class PayloadReader
{
    public static List<JsonObject> Read(SignRequest request, LimitsConfig limits)
    {
        var payloads = request.Payloads;
        if (payloads.Count == 0)
        {
            throw new Refusal(DaemonErrors.InvalidArgument("no JSON object given; nothing was signed"), AuditDecisions.InvalidArgument, "no JSON object given", null);
        }

        if (payloads.Count > limits.MaxBatch)
        {
            throw new Refusal(
                DaemonErrors.InvalidArgument($"a batch holds at most {limits.MaxBatch} objects, this one {payloads.Count}; nothing was signed"),
                AuditDecisions.InvalidArgument,
                "batch too large",
                null);
        }

        var jsonLimits = new CanonicalJsonLimits { MaxBytes = limits.MaxJsonBytes, MaxDepth = limits.MaxJsonDepth };
        var objects = new List<JsonObject>(payloads.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            try
            {
                objects.Add(CanonicalJson.ParseObject(payloads[i].Span, jsonLimits));
            }
            catch (CanonicalJsonException e)
            {
                throw new Refusal(DaemonErrors.InvalidJson(IndexShown(request, i), e.Message), AuditDecisions.InvalidArgument, e.Message, null);
            }
        }

        return objects;
    }

    /// <summary>The object's index in a message, for a batch only (a single object is "the JSON").</summary>
    public static int IndexShown(SignRequest request, int index) => request.Operation == SignOperation.SignJsonBatch ? index : -1;
}
