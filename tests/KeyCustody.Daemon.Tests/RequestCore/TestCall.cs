using Grpc.Core;
using KeyCustody.Daemon.Security;
using Microsoft.AspNetCore.Http;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// A gRPC call context for calling a service's method directly, as grpc-dotnet's own tests do: the caller is a peer
/// the connection middleware would have recorded (through the HttpContext, as Grpc.AspNetCore hands it over).
/// </summary>
internal sealed class TestCall : ServerCallContext
{
    private readonly Dictionary<object, object> _userState = [];
    private readonly CancellationToken _cancellation;

    public TestCall(Principal caller, CancellationToken cancellation = default)
    {
        var http = new DefaultHttpContext();
        http.Features.Set(new PeerPrincipalFeature(caller));
        _userState["__HttpContext"] = http;
        _cancellation = cancellation;
    }

    protected override string MethodCore => "/test";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "unix:test";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => _cancellation;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
