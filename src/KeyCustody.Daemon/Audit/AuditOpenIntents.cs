using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// The requests whose intent record has no outcome record (they were interrupted), gathered record by record in the pass
/// that verifies the log: only the open ones' ids are kept.
/// </summary>
internal sealed class AuditOpenIntents
{
    private readonly List<string> _open = [];

    /// <summary>The open requests' ids, in the order of their intents.</summary>
    public IReadOnlyList<string> Ids => _open;

    /// <summary>Takes the next record of the chain.</summary>
    public void Add(JsonObject record)
    {
        var id = record.GetString("request_id");
        switch (record.GetString("kind"))
        {
            case AuditKinds.Intent when id is not null:
                _open.Add(id);
                break;
            case AuditKinds.Outcome when id is not null:
                _open.Remove(id);
                break;
        }
    }
}
