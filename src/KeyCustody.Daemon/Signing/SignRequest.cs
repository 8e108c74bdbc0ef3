using KeyCustody.Daemon.Security;

namespace KeyCustody.Daemon.Signing;

/// <summary>What the caller asked for.</summary>
public enum SignOperation
{
    SignJson,
    SignJsonBatch,
    CrossSignDevice,
    CrossSignUser,
}

/// <summary>One signing request as it arrives: who, with which key, which JSON objects (raw bytes), for which call.</summary>
public sealed record SignRequest(Principal Caller, string KeyName, IReadOnlyList<ReadOnlyMemory<byte>> Payloads, SignOperation Operation)
{
    /// <summary>The operation's name in audit records.</summary>
    public string OperationName => Operation switch
    {
        SignOperation.SignJson => "sign_json",
        SignOperation.SignJsonBatch => "sign_json_batch",
        SignOperation.CrossSignDevice => "cross_sign_device",
        _ => "cross_sign_user",
    };
}

/// <summary>The signed objects, the key id they are under, and the request id.</summary>
public sealed record SignResult(string RequestId, string KeyId, IReadOnlyList<Matrix.Json.JsonObject> Signed)
{
    /// <summary>Complete once the outcome record is on disk (the signatures may be handed out before; it never fails).</summary>
    public Task Recorded { get; init; } = Task.CompletedTask;
}
