using System.Buffers.Binary;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;
using KeyCustody.Tokens;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Simulator;

namespace KeyCustody.Fuzz.Piv;

/// <summary>
/// Seeds from real conversations: <see cref="PivTarget"/>'s operations run against a simulated YubiKey 5.7 while
/// every answer is written down in <see cref="ScriptedCard"/>'s format (piv corpus) and every command in
/// the hw-sim harness's format (hwsim corpus).
/// </summary>
public static class SeedRecorder
{
    public const uint Serial = 11409355;

    /// <summary>Scenarios: operation bytes as <see cref="PivTarget.Perform"/> reads them.</summary>
    private static readonly (string Name, byte[] Ops)[] Scenarios =
    [
        ("blank-card-status-list", [0x00, 0x01, 0x07]),
        ("generate-9c-sign-attest", [0x04 | 0x80 | 0x40 | 0x20, 0x02, 0x03, 0x03, 0x06, 0x01]),
        ("generate-9a-defaults-sign", [0x04 | 0x08, 0x03 | 0x08, 0x00]),
        ("import-9d-sign", [0x05 | 0x10 | 0x80, 0x03 | 0x10, 0x02 | 0x10, 0x06 | 0x10]),
        ("generate-82-touch-always-sign", [0x04 | 0x18 | 0x40, 0x03 | 0x18, 0x01]),
        ("generate-exists-refused", [0x04, 0x04, 0x02]),
        ("sign-empty-slot", [0x03, 0x06, 0x02]),
    ];

    public static int Write(string corpusRoot)
    {
        var piv = Directory.CreateDirectory(Path.Combine(corpusRoot, "piv")).FullName;
        var hwsim = Directory.CreateDirectory(Path.Combine(corpusRoot, "hwsim")).FullName;
        using var root = SimulatorRoot.CreateEphemeral();
        foreach (var (name, ops) in Scenarios)
        {
            var (answers, commands) = Record(root, ops);
            File.WriteAllBytes(Path.Combine(piv, $"recorded-{name}.bin"), answers);
            File.WriteAllBytes(Path.Combine(hwsim, $"recorded-{name}.bin"), commands);
            Console.WriteLine($"recorded {name}: {answers.Length} bytes of answers, {commands.Length} bytes of commands");
        }

        return 0;
    }

    private static (byte[] Answers, byte[] Commands) Record(SimulatorRoot root, byte[] ops)
    {
        using var card = VirtualCard.Create(new CardOptions(root) { Serial = Serial, Touch = TouchMode.Auto, AutoTouchDelay = TimeSpan.Zero });
        using var readers = new HwSimReaders();
        readers.Add(card);
        using var recorder = new Recorder(readers);
        var serial = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(serial, Serial);
        recorder.Answers.Write(serial);
        using (var token = PivToken.Open(recorder, Serial))
        {
            foreach (var op in ops)
            {
                recorder.Answers.WriteByte(op);
                try
                {
                    PivTarget.Perform(token, op);
                }
                catch (TokenException e)
                {
                    Console.WriteLine($"  op {op:X2}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        return (recorder.Answers.ToArray(), recorder.Commands.ToArray());
    }

    private sealed class Recorder(ISmartCardReaders inner) : ISmartCardReaders
    {
        public MemoryStream Answers { get; } = new();

        public MemoryStream Commands { get; } = new();

        public IReadOnlyList<string> ReadersWithCard() => inner.ReadersWithCard();

        public ISmartCardConnection? Connect(string reader) => inner.Connect(reader) is { } c ? new Connection(this, c) : null;

        public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => inner.WaitForChange(timeout, cancellation);

        public void Dispose()
        {
            Answers.Dispose();
            Commands.Dispose();
        }

        private void Write(ReadOnlySpan<byte> command, byte[] answer)
        {
            Commands.WriteByte((byte)command.Length);
            Commands.Write(command);
            if (command.Length >= 4 && command[1] == 0x87 && command[3] == 0x9B)
            {
                Answers.WriteByte(ScriptedCard.AuthenticationAnswer);
            }
            else if (answer.Length < ScriptedCard.LongAnswer)
            {
                Answers.WriteByte((byte)answer.Length);
                Answers.Write(answer);
            }
            else
            {
                Answers.WriteByte(ScriptedCard.LongAnswer);
                Answers.WriteByte((byte)(answer.Length >> 8));
                Answers.WriteByte((byte)answer.Length);
                Answers.Write(answer);
            }
        }

        private sealed class Connection(Recorder recorder, ISmartCardConnection inner) : ISmartCardConnection
        {
            public byte[] Transmit(ReadOnlySpan<byte> command)
            {
                var answer = inner.Transmit(command);
                recorder.Write(command, answer);
                return answer;
            }

            public IDisposable BeginTransaction() => inner.BeginTransaction();

            public void Dispose() => inner.Dispose();
        }
    }
}
