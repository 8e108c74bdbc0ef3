using System.Buffers.Binary;
using KeyCustody.Tokens;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Fuzz.Piv;

/// <summary>
/// <see cref="PivToken"/> over a <see cref="ScriptedCard"/>: the first 4 input bytes are the serial asked for,
/// then the card's answers to opening it, then operations: one byte chooses the next operation (and its key
/// and options), the card's answers to it follow. Everything the token throws must be a
/// <see cref="TokenException"/>; keys it reports must be 32-byte Ed25519 keys; signatures 64 bytes.
/// </summary>
public static class PivTarget
{
    /// <summary>The message every signature is asked for (fixed, so recorded answers verify on replay).</summary>
    public static ReadOnlyMemory<byte> Message { get; } = "{\"fuzz\":\"PivTarget\"}"u8.ToArray();

    /// <summary>The seed of ImportKeyAsync (RFC 8032 test 1).</summary>
    public static ReadOnlySpan<byte> ImportSeed => Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

    private static readonly string[] Slots = ["9c", "9a", "9d", "82"];

    public static void Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length < 4)
        {
            return;
        }

        using var card = new ScriptedCard(input, 4);
        Expect(() =>
        {
            using var token = PivToken.Open(card, BinaryPrimitives.ReadUInt32BigEndian(input));
            while (card.NextByte() is { } op)
            {
                Expect(() => Perform(token, op));
            }
        });
    }

    /// <summary>One operation; <paramref name="op"/> mod 8 chooses it, bits 3-4 the slot, bit 5 and up the options.</summary>
    public static void Perform(PivToken token, byte op)
    {
        ArgumentNullException.ThrowIfNull(token);
        var slot = Slots[(op >> 3) & 3];
        var interaction = Interaction(lastRetry: (op & 0x20) != 0);
        var request = new KeyGenerationRequest(slot, (PinPolicy)((op >> 6) & 3), (TouchPolicy)((op >> 5) & 3)) { Overwrite = (op & 0x80) != 0 };
        switch (op & 7)
        {
            case 0:
                var status = token.GetStatus();
                if (status.PinRetriesLeft is < 0)
                {
                    throw new FuzzFailure($"negative PIN retries {status.PinRetriesLeft}");
                }

                break;
            case 1:
                foreach (var key in token.ListKeys())
                {
                    CheckKey(key);
                }

                break;
            case 2:
                CheckKey(token.GetKey(slot));
                break;
            case 3:
                var signature = token.SignAsync(slot, Message, interaction).GetAwaiter().GetResult();
                if (signature.Length != 64)
                {
                    throw new FuzzFailure($"a signature of {signature.Length} bytes was returned");
                }

                break;
            case 4:
                CheckKey(token.GenerateKeyAsync(request, interaction).GetAwaiter().GetResult());
                break;
            case 5:
                using (var seed = Secret.Copy(ImportSeed))
                {
                    CheckKey(token.ImportKeyAsync(request, seed, interaction).GetAwaiter().GetResult());
                }

                break;
            case 6:
                var attestation = token.Attest(slot);
                if (attestation.Certificate.Length == 0 || attestation.Intermediates.Count != 1)
                {
                    throw new FuzzFailure("an attestation without a certificate or its intermediate");
                }

                break;
            default:
                token.WaitUntilPresent(TimeSpan.Zero);
                break;
        }
    }

    private static TokenInteraction Interaction(bool lastRetry) => new()
    {
        Pin = (_, _) => ValueTask.FromResult<Secret?>(Secret.Copy("123456"u8)),
        ManagementKey = _ => ValueTask.FromResult<Secret?>(Secret.Copy(ScriptedCard.ManagementKey)),
        Presence = (_, _) => ValueTask.CompletedTask,
        AllowLastPinRetry = lastRetry,
    };

    private static void CheckKey(TokenKey key)
    {
        if (key.PublicKey.Length != 32)
        {
            throw new FuzzFailure($"key {key.Id} reported with a public key of {key.PublicKey.Length} bytes");
        }

        if (!Enum.IsDefined(key.PinPolicy) || !Enum.IsDefined(key.TouchPolicy) || !Enum.IsDefined(key.Origin))
        {
            throw new FuzzFailure($"key {key.Id} reported with undefined policy values");
        }
    }

    /// <summary>Runs <paramref name="action"/>; the token's documented errors are fine, anything else escapes.</summary>
    private static void Expect(Action action)
    {
        try
        {
            action();
        }
        catch (TokenException)
        {
            // Documented: the card said no, was malformed, or went away.
        }
    }
}
