using Grpc.Core;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>What the caller of a signing call made directly on the service received on its stream, in order.</summary>
internal sealed class CollectedEvents : IServerStreamWriter<SignEvent>
{
    private readonly List<SignEvent> _events = [];

    public WriteOptions? WriteOptions { get; set; }

    public IReadOnlyList<SignEvent> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToList();
            }
        }
    }

    public Task WriteAsync(SignEvent message)
    {
        lock (_events)
        {
            _events.Add(message);
        }

        return Task.CompletedTask;
    }
}
