namespace KeyCustody.Daemon.Requests;

/// <summary>
/// What a caller hears while its request runs, in the core's own terms (the gRPC service alone turns these into
/// protobuf messages): accepted with its intent, its place on the token's queue, a person's confirmation needed.
/// How it ends is the operation's result, or a refusal.
/// </summary>
public abstract record RequestEvent;

/// <summary>The policy allowed the request: its id, and what it will do in words (escaped: people read it).</summary>
public sealed record Accepted(string RequestId, string Intent) : RequestEvent;

/// <summary>The request waits for its token; <paramref name="Position"/> operations are ahead (0: next).</summary>
public sealed record Queued(int Position) : RequestEvent;

/// <summary>A person must confirm: an operator approves (<see cref="PresenceMethod.Operator"/>) or the card waits for a touch.</summary>
public sealed record PresenceRequired(string RequestId, PresenceMethod Method, string TokenSerial, int TimeoutSeconds, string Intent) : RequestEvent
{
    /// <summary>For a touch: the device the token says it is ("YubiKey", "Nitrokey"); empty for an operator's approval.</summary>
    public string TokenDevice { get; init; } = string.Empty;
}

/// <summary>Who confirms a request.</summary>
public enum PresenceMethod
{
    Operator,
    Touch,
}

/// <summary>The intent is on disk: from here on the request ends with an outcome record, whatever happens.</summary>
public sealed record IntentRecorded(string RequestId) : RequestEvent;
