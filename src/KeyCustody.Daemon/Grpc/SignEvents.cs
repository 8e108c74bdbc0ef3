using KeyCustody.Daemon.Requests;
using Wire = KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Grpc;

/// <summary>The request core's events as the wire contract's <c>SignEvent</c> messages (the only place they are built).</summary>
internal static class SignEvents
{
    /// <summary>The message for <paramref name="e"/>, or null for an event callers are not sent (the intent recorded).</summary>
    public static Wire.SignEvent? ToProto(RequestEvent e) => e switch
    {
        Accepted a => new Wire.SignEvent { Accepted = new Wire.Accepted { RequestId = a.RequestId, Intent = a.Intent } },
        Queued q => new Wire.SignEvent { Queued = new Wire.Queued { Position = q.Position } },
        PresenceRequired p => new Wire.SignEvent
        {
            PresenceRequired = new Wire.PresenceRequired
            {
                Method = p.Method == PresenceMethod.Touch ? Wire.PresenceRequired.Types.Method.Touch : Wire.PresenceRequired.Types.Method.Operator,
                TokenSerial = p.TokenSerial,
                TimeoutSeconds = p.TimeoutSeconds,
                Intent = p.Intent,
                RequestId = p.RequestId,
                TokenDevice = p.TokenDevice,
            },
        },
        _ => null,
    };
}
