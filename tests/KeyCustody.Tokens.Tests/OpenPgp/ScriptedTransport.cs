using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.OpenPgp;

/// <summary>Below the transport seam: answers each APDU with the next scripted response and records what was sent.</summary>
internal sealed class ScriptedTransport(params string[] responses) : IApduTransport
{
    private readonly Queue<string> _responses = new(responses);

    public List<string> Sent { get; } = [];

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        Sent.Add(Hex.Format(command));
        return Hex.Parse(_responses.Dequeue());
    }
}
