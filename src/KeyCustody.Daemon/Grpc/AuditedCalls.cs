using Grpc.Core;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix;

namespace KeyCustody.Daemon.Grpc;

/// <summary>
/// The calls besides signing (which audits its own decisions): once the caller is known, every refusal (a right
/// missing, an unknown name or request, a bad argument) goes on the audit log before the caller hears of it, as a
/// "decision" record like a refused signature's. What the caller sent is clipped and escaped there: it is a
/// caller's text an operator will read.
/// </summary>
internal static class AuditedCalls
{
    private const int MaxQuoted = 200;

    public static async Task<T> Run<T>(AuditLog audit, ServerCallContext context, JsonObject call, Func<Principal, Task<T>> body)
    {
        await Task.Yield();
        try
        {
            var caller = Callers.Resolve(context);
            try
            {
                return await body(caller).ConfigureAwait(false);
            }
            catch (DaemonException e) when (e.Kind != DaemonErrorKind.AuditUnavailable)
            {
                await audit.AppendAsync(Record(call, caller, e)).ConfigureAwait(false);
                throw;
            }
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw StatusMapping.ToRpc(e, context);
        }
    }

    public static Task<T> Run<T>(AuditLog audit, ServerCallContext context, JsonObject call, Func<Principal, T> body) =>
        Run(audit, context, call, caller => Task.FromResult(body(caller)));

    /// <summary>For a call with its own try: audits <paramref name="e"/> if it is a refusal of a known caller; returns the status to throw.</summary>
    public static async Task<RpcException> Refused(AuditLog audit, ServerCallContext context, JsonObject call, Exception e)
    {
        if (e is DaemonException { Kind: not DaemonErrorKind.AuditUnavailable } refusal)
        {
            Principal caller;
            try
            {
                caller = Callers.Resolve(context);
            }
            catch (RpcException unauthenticated)
            {
                return unauthenticated;
            }

            try
            {
                await audit.AppendAsync(Record(call, caller, refusal)).ConfigureAwait(false);
            }
            catch (DaemonException unavailable)
            {
                return StatusMapping.ToRpc(unavailable, context);
            }
        }

        return StatusMapping.ToRpc(e, context);
    }

    private static JsonObject Record(JsonObject call, Principal caller, DaemonException e) =>
        Requests.Refusal.Of(e).Record(call.With("principal", caller.ToString()));

    /// <summary>A caller's string for a record or a message: escaped, and at most 200 characters.</summary>
    public static string Quote(string text) => DisplayText.Clip(text, MaxQuoted);
}
