using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix.Json;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Requests;

/// <summary>
/// What one admitted operation brings to the stages every token operation shares (<see cref="OperationStages"/>): its
/// audit records (the intent as written, the outcome to complete), whether an operator must approve it first, its
/// token and the work on it, and how its success and its failure are recorded.
/// </summary>
/// <typeparam name="T">What the work on the token produces (signatures, a new key).</typeparam>
public abstract class TokenWork<T>
{
    /// <summary>The request id (records and events carry it).</summary>
    public abstract string RequestId { get; }

    /// <summary>The intent record exactly as it goes on disk before the token is asked.</summary>
    public abstract JsonObject Intent { get; }

    /// <summary>The outcome record before it says how the operation ended.</summary>
    public abstract JsonObject Outcome { get; }

    /// <summary>The token the work needs a turn on.</summary>
    public abstract TokenHost Token { get; }

    /// <summary>An operator's approval to wait for before the token, or null when none is needed.</summary>
    public virtual ApprovalRequest? Approval => null;

    /// <summary>How long the work waited for a person at the token (a touch), once it ended: presence, not token time, in the metrics.</summary>
    public virtual TimeSpan PresenceWaited => TimeSpan.Zero;

    /// <summary>The work, with the live token, during this operation's turn.</summary>
    public abstract Task<T> RunAsync(ISigningToken token, CancellationToken cancellation);

    /// <summary>The outcome record of a success.</summary>
    public abstract JsonObject Succeeded(JsonObject outcome, T result);

    /// <summary>The outcome record of a failure after the intent (cancelled, refused on the way, failed on the token).</summary>
    public abstract JsonObject Failed(JsonObject outcome, Exception error);
}
