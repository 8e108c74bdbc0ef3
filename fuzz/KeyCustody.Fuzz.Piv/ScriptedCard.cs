using System.Security.Cryptography;
using KeyCustody.Tokens;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Fuzz.Piv;

/// <summary>
/// One reader holding a "card" whose answers are read from the fuzz input, one entry per command APDU:
/// <c>n bytes</c> (n 00..EF): a literal answer of n bytes (data || SW1 SW2, as the card sends it);
/// <c>F0 hi lo bytes</c>: a longer literal answer; <c>F1</c>: the answer a card holding the default management
/// key gives to the mutual-authentication step it was sent (the client's challenge is random, so no recorded
/// answer could match); <c>F2</c>: the card is pulled out during the command; <c>F3+k</c>: k literal bytes.
/// When the input is used up the card is gone.
/// </summary>
public sealed class ScriptedCard(byte[] input, int start) : ISmartCardReaders
{
    public const byte LongAnswer = 0xF0;
    public const byte AuthenticationAnswer = 0xF1;
    public const byte Removal = 0xF2;
    private const string Reader = "Fuzz Card 00 00";

    /// <summary>The default PIV management key: 01..08 three times.</summary>
    public static ReadOnlySpan<byte> ManagementKey =>
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8];

    public int Position { get; private set; } = start;

    public bool Exhausted => Position >= input.Length;

    /// <summary>The next input byte (the harness's own choices share the stream with the card's answers).</summary>
    public byte? NextByte() => Exhausted ? null : input[Position++];

    public IReadOnlyList<string> ReadersWithCard() => Exhausted ? [] : [Reader];

    public ISmartCardConnection? Connect(string reader) => Exhausted ? null : new Connection(this);

    public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => false;

    public void Dispose()
    {
    }

    private byte[] Answer(ReadOnlySpan<byte> command)
    {
        var kind = NextByte() ?? throw TokenErrors.TokenRemoved("the fuzz card");
        int length = kind;
        switch (kind)
        {
            case LongAnswer:
                length = ((NextByte() ?? 0) << 8) | (NextByte() ?? 0);
                break;
            case AuthenticationAnswer:
                return AuthenticationStep(command);
            case Removal:
                throw TokenErrors.TokenRemoved("the fuzz card");
            case > Removal:
                length = kind - Removal - 1;
                break;
        }

        length = Math.Min(length, input.Length - Position);
        var answer = input.AsSpan(Position, length).ToArray();
        Position += length;
        return answer;
    }

    /// <summary>
    /// GENERAL AUTHENTICATE on 9B: to <c>7C 02 80 00</c> the encrypted witness (zeros: the client does not check
    /// it), to <c>7C .. 80 b W 81 b C</c> the challenge C encrypted with the default key. AES-192 (0A) or
    /// 3DES (03; with three equal thirds EDE is single DES). Anything else answers 6A80.
    /// </summary>
    private static byte[] AuthenticationStep(ReadOnlySpan<byte> command)
    {
        if (command.Length < 5 || command[1] != 0x87 || command[3] != 0x9B || command[2] is not (0x03 or 0x0A))
        {
            return [0x6A, 0x80];
        }

        var block = command[2] == 0x03 ? 8 : 16;
        var data = command[5..];
        var challenge = new byte[block];
        var tag = (byte)0x80;
        if (data.Length >= 6 + (2 * block) && data[0] == 0x7C && data[2] == 0x80 && data[3] == block
            && data[4 + block] == 0x81 && data[5 + block] == block)
        {
            data.Slice(6 + block, block).CopyTo(challenge);
            tag = 0x82;
        }

        byte[] encrypted;
        if (block == 8)
        {
#pragma warning disable CA5351 // the PIV 3DES management key is made of DES; not our choice.
            using var des = DES.Create();
#pragma warning restore CA5351
            des.Key = ManagementKey[..8].ToArray();
            encrypted = des.EncryptEcb(challenge, PaddingMode.None);
        }
        else
        {
            using var aes = Aes.Create();
            aes.Key = ManagementKey.ToArray();
            encrypted = aes.EncryptEcb(challenge, PaddingMode.None);
        }

        return [0x7C, (byte)(block + 2), tag, (byte)block, .. encrypted, 0x90, 0x00];
    }

    private sealed class Connection(ScriptedCard card) : ISmartCardConnection
    {
        public byte[] Transmit(ReadOnlySpan<byte> command) => card.Answer(command);

        public IDisposable BeginTransaction() => new NoTransaction();

        public void Dispose()
        {
        }
    }

    private sealed class NoTransaction : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
