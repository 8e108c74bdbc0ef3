using BenchmarkDotNet.Attributes;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.Pcsc;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Simulator;
using KeyCustody.Tokens.Tests.Support;
using Net.Pkcs11Interop.Common;
using LowLevel = Net.Pkcs11Interop.LowLevelAPI80;

namespace KeyCustody.Tokens.Bench;

/// <summary>
/// Signatures per second. Each benchmark does a batch (OperationsPerInvoke) so the reported mean is per
/// signature. Our backends verify every signature before returning it; the raw C_Sign loop does not, and the
/// "raw + verify" row adds the same NSec verification to it, to show what the pool itself costs. Concurrent signers
/// are async loops, as the daemon's callers are: none blocks a thread-pool thread on a result.
/// </summary>
public class TokenBenchmarks : IDisposable
{
    public const int SoftHsmBatch = 256;
    public const int PivBatch = 16;
    private const string KeyLabel = "bench-ssk";

    private readonly byte[] _message = Enumerable.Range(0, 300).Select(i => (byte)('a' + i % 26)).ToArray();
    private Pkcs11Token? _pool1;
    private Pkcs11Token? _pool2;
    private LowLevel.Pkcs11Library? _raw;
    private ulong _rawSession;
    private ulong _rawSession2;
    private ulong _rawKey;
    private NSec.Cryptography.PublicKey? _rawPublicKey;
    private SimulatorRoot? _root;
    private VirtualCard? _inProcessCard;
    private HwSimReaders? _inProcessReaders;
    private PivToken? _inProcess;
    /// <summary>
    /// One private pcscd for every row through it, PIV's card in vpcd slot 0 and OpenPGP's in slot 1: libpcsclite reads
    /// the socket path once per process, so a second pcscd could not be reached. Stopped by <see cref="StopPcscd"/>.
    /// </summary>
    private static PrivatePcscd? _pcscd;
    private VirtualCard? _vpcdCard;
    private VpcdTransport? _vpcd;
    private PcscReaders? _pcscReaders;
    private PivToken? _viaPcscd;
    private OpenPgpToken? _pgpInProcess;
    private OpenPgpToken? _pgpViaPcscd;

    /// <summary>The OpenPGP rows give the PIN (a card always asks): verified once, then the empty VERIFY says so.</summary>
    private static readonly TokenInteraction Pin = new() { Pin = (_, _) => ValueTask.FromResult<Secret?>(Secret.Copy("123456"u8)) };

    [GlobalSetup(Targets = [nameof(RawCSignOneSession), nameof(RawCSignTwoSessions), nameof(RawCSignAndVerifyOneSession), nameof(OursPoolOf1), nameof(OursPoolOf2TwoSigners), nameof(OursPoolOf2FourSigners)])]
    public void SetUpSoftHsm()
    {
        // BenchmarkDotNet runs a global setup per case: each case gets its own fresh token.
        var label = SoftHsm.CreateToken();
        _pool1 = SoftHsm.Open(label, poolSize: 1);
        _pool2 = SoftHsm.Open(label, poolSize: 2);
        var pin = new TokenInteraction { Pin = (_, _) => ValueTask.FromResult<Secret?>(Secret.Copy("123456"u8)) };
        _pool1.GenerateKeyAsync(new KeyGenerationRequest(KeyLabel, PinPolicy.Once), pin).GetAwaiter().GetResult();
        _pool1.LoginAsync(pin).GetAwaiter().GetResult();

        // Raw Pkcs11Interop on the same (already initialised) module: one session, C_SignInit + C_Sign. It P/Invokes
        // "libdl", which Debian 12 has only as libdl.so.2 (Pkcs11Interop #239): resolve it, once per process.
        try
        {
            System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(typeof(LowLevel.Pkcs11Library).Assembly, (name, _, _) =>
                name == "libdl" && System.Runtime.InteropServices.NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // An earlier case's setup in this process installed it.
        }

        _raw = new LowLevel.Pkcs11Library(SoftHsm.Module);
        ulong count = 0;
        Check(_raw.C_GetSlotList(true, null, ref count));
        var slots = new ulong[count];
        Check(_raw.C_GetSlotList(true, slots, ref count));
        var slot = slots.First(id =>
        {
            var info = new LowLevel.CK_TOKEN_INFO();
            Check(_raw.C_GetTokenInfo(id, ref info));
            return System.Text.Encoding.UTF8.GetString(info.Label).Trim() == label;
        });
        Check(_raw.C_OpenSession(slot, 0x04 /* CKF_SERIAL_SESSION */, IntPtr.Zero, IntPtr.Zero, ref _rawSession));
        Check(_raw.C_OpenSession(slot, 0x04, IntPtr.Zero, IntPtr.Zero, ref _rawSession2));
        var template = new[]
        {
            LowLevel.CkaUtils.CreateAttribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            LowLevel.CkaUtils.CreateAttribute(CKA.CKA_LABEL, KeyLabel),
        };
        Check(_raw.C_FindObjectsInit(_rawSession, template, (ulong)template.Length));
        var found = new ulong[1];
        ulong foundCount = 0;
        Check(_raw.C_FindObjects(_rawSession, found, 1, ref foundCount));
        Check(_raw.C_FindObjectsFinal(_rawSession));
        for (int i = 0; i < template.Length; i++)
        {
            UnmanagedMemory.Free(ref template[i].value);
        }

        _rawKey = foundCount == 1 ? found[0] : throw new InvalidOperationException("raw: key not found");
        _rawPublicKey = NSec.Cryptography.PublicKey.Import(
            NSec.Cryptography.SignatureAlgorithm.Ed25519, _pool1.GetKey(KeyLabel).PublicKey, NSec.Cryptography.KeyBlobFormat.RawPublicKey);
    }

    [GlobalSetup(Target = nameof(HwSimInProcess))]
    public void SetUpInProcess()
    {
        _root = SimulatorRoot.CreateEphemeral();
        _inProcessCard = VirtualCard.Create(new CardOptions(_root) { Serial = 11409355 });
        _inProcessReaders = new HwSimReaders();
        _inProcessReaders.Add(_inProcessCard);
        _inProcess = PivToken.Open(_inProcessReaders, 11409355);
        GeneratePiv(_inProcess);
    }

    [GlobalSetup(Target = nameof(HwSimThroughPcscdVpcd))]
    public void SetUpPcscd()
    {
        _root = SimulatorRoot.CreateEphemeral();
        InsertThroughPcscd(VirtualCard.Create(new CardOptions(_root) { Serial = 22334455 }), slot: 0);
        _viaPcscd = PivToken.Open(_pcscReaders!, 22334455);
        GeneratePiv(_viaPcscd);
    }

    /// <summary>A YubiKey 5.4.3 (Ed25519 only through OpenPGP), its signature key with PIN once and no touch.</summary>
    [GlobalSetup(Target = nameof(OpenPgpInProcess))]
    public void SetUpOpenPgpInProcess()
    {
        _root = SimulatorRoot.CreateEphemeral();
        _inProcessCard = VirtualCard.Create(new CardOptions(_root) { Serial = 5439532, Profile = CardProfile.YubiKey543 });
        _inProcessReaders = new HwSimReaders();
        _inProcessReaders.Add(_inProcessCard);
        _pgpInProcess = OpenPgpToken.Open(_inProcessReaders, 5439532);
        GenerateOpenPgp(_pgpInProcess);
    }

    [GlobalSetup(Target = nameof(OpenPgpThroughPcscdVpcd))]
    public void SetUpOpenPgpPcscd()
    {
        _root = SimulatorRoot.CreateEphemeral();
        InsertThroughPcscd(VirtualCard.Create(new CardOptions(_root) { Serial = 23852774, Profile = CardProfile.YubiKey543 }), slot: 1);
        _pgpViaPcscd = OpenPgpToken.Open(_pcscReaders!, 23852774);
        GenerateOpenPgp(_pgpViaPcscd);
    }

    /// <summary>After the run: the shared pcscd goes.</summary>
    public static void StopPcscd()
    {
        _pcscd?.Dispose();
        _pcscd = null;
    }

    /// <summary>The card in its own vpcd slot of the shared pcscd, once pcscd sees it.</summary>
    private void InsertThroughPcscd(VirtualCard card, int slot)
    {
        if (_pcscd is null)
        {
            _pcscd = new PrivatePcscd("tokens-bench-pcscd-");
            _pcscd.ExportToThisProcess();
        }

        _vpcdCard = card;
        _vpcd = new VpcdTransport(card, _pcscd.Endpoint(slot));
        _vpcd.Start();
        if (!_vpcd.WaitUntilConnected(TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("hw-sim did not reach vpcd");
        }

        _pcscReaders = PcscReaders.Open();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        // vpcd slot N is the reader whose name ends in "00 0N" (PrivatePcscd); the other slot may hold the last case's card.
        while (!_pcscReaders.ReadersWithCard().Any(reader => reader.EndsWith($" 00 0{slot}", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            _pcscReaders.WaitForChange(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
    }

    public void Dispose()
    {
        CleanUp();
        GC.SuppressFinalize(this);
    }

    [GlobalCleanup]
    public void CleanUp()
    {
        _pool1?.Dispose();
        _pool2?.Dispose();
        _raw?.Dispose();
        _inProcess?.Dispose();
        _pgpInProcess?.Dispose();
        _pgpViaPcscd?.Dispose();
        (_pgpInProcess, _pgpViaPcscd) = (null, null);
        _inProcessReaders?.Dispose();
        _inProcessCard?.Dispose();
        _viaPcscd?.Dispose();
        _pcscReaders?.Dispose();
        _vpcd?.Dispose();
        _vpcdCard?.Dispose();
        _root?.Dispose();
        (_pool1, _pool2, _raw, _inProcess, _inProcessReaders, _inProcessCard) = (null, null, null, null, null, null);
        (_viaPcscd, _pcscReaders, _vpcd, _vpcdCard, _root) = (null, null, null, null, null);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = SoftHsmBatch, Description = "raw Pkcs11Interop C_Sign, 1 session, 1 thread")]
    public void RawCSignOneSession() => RawSign(_rawSession, SoftHsmBatch, verify: false);

    [Benchmark(OperationsPerInvoke = SoftHsmBatch, Description = "raw Pkcs11Interop C_Sign, 2 sessions, 2 threads")]
    public void RawCSignTwoSessions() =>
        Task.WaitAll(Task.Run(() => RawSign(_rawSession, SoftHsmBatch / 2, verify: false)), Task.Run(() => RawSign(_rawSession2, SoftHsmBatch / 2, verify: false)));

    [Benchmark(OperationsPerInvoke = SoftHsmBatch, Description = "raw Pkcs11Interop C_Sign + NSec verify, 1 session, 1 thread")]
    public void RawCSignAndVerifyOneSession() => RawSign(_rawSession, SoftHsmBatch, verify: true);

    [Benchmark(OperationsPerInvoke = SoftHsmBatch, Description = "KeyCustody PKCS#11, pool of 1, 1 signer")]
    public void OursPoolOf1() => Sign(_pool1!, signers: 1, SoftHsmBatch);

    [Benchmark(OperationsPerInvoke = SoftHsmBatch, Description = "KeyCustody PKCS#11, pool of 2, 2 signers")]
    public void OursPoolOf2TwoSigners() => Sign(_pool2!, signers: 2, SoftHsmBatch);

    [Benchmark(OperationsPerInvoke = SoftHsmBatch, Description = "KeyCustody PKCS#11, pool of 2, 4 signers")]
    public void OursPoolOf2FourSigners() => Sign(_pool2!, signers: 4, SoftHsmBatch);

    [Benchmark(OperationsPerInvoke = PivBatch, Description = "KeyCustody PIV, hw-sim in-process")]
    public void HwSimInProcess() => Sign(_inProcess!, signers: 1, PivBatch);

    [Benchmark(OperationsPerInvoke = PivBatch, Description = "KeyCustody PIV, hw-sim via pcscd + vpcd")]
    public void HwSimThroughPcscdVpcd() => Sign(_viaPcscd!, signers: 1, PivBatch);

    [Benchmark(OperationsPerInvoke = PivBatch, Description = "KeyCustody OpenPGP (5.4.3, sig key), hw-sim in-process")]
    public void OpenPgpInProcess() => Sign(_pgpInProcess!, signers: 1, PivBatch);

    [Benchmark(OperationsPerInvoke = PivBatch, Description = "KeyCustody OpenPGP (5.4.3, sig key), hw-sim via pcscd + vpcd")]
    public void OpenPgpThroughPcscdVpcd() => Sign(_pgpViaPcscd!, signers: 1, PivBatch);

    private void Sign(ISigningToken token, int signers, int total)
    {
        if (signers == 1)
        {
            var (id, interaction) = token switch
            {
                PivToken => ("9c", TokenInteraction.None),
                OpenPgpToken => ("sig", Pin),
                _ => (KeyLabel, TokenInteraction.None),
            };
            for (int i = 0; i < total; i++)
            {
                token.SignAsync(id, _message, interaction).GetAwaiter().GetResult();
            }

            return;
        }

        // Async loops, as the daemon signs: blocking thread-pool threads on SignAsync's result would starve the pool
        // of the threads that resume a signer waiting for a session (4 signers on 2 sessions), and measure that instead.
        var keyId = KeyLabel;
        var workers = new Task[signers];
        for (int w = 0; w < signers; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                for (int i = 0; i < total / signers; i++)
                {
                    await token.SignAsync(keyId, _message, TokenInteraction.None).ConfigureAwait(false);
                }
            });
        }

        Task.WaitAll(workers);
    }

    /// <summary>C_SignInit + C_Sign in a loop on one session; with <paramref name="verify"/>, NSec checks each signature.</summary>
    private void RawSign(ulong session, int count, bool verify)
    {
        var signature = new byte[64];
        for (int i = 0; i < count; i++)
        {
            var mechanism = LowLevel.CkmUtils.CreateMechanism(0x1057UL);
            Check(_raw!.C_SignInit(session, ref mechanism, _rawKey));
            ulong length = 64;
            Check(_raw.C_Sign(session, _message, (ulong)_message.Length, signature, ref length));
            if (verify && !NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(_rawPublicKey!, _message, signature))
            {
                throw new InvalidOperationException("raw: the signature does not verify");
            }
        }
    }

    private static void GeneratePiv(PivToken token)
    {
        var managementKey = Convert.FromHexString("010203040506070801020304050607080102030405060708");
        var interaction = new TokenInteraction { ManagementKey = _ => ValueTask.FromResult<Secret?>(Secret.Copy(managementKey)) };
        token.GenerateKeyAsync(new KeyGenerationRequest("9c", PinPolicy.Never, TouchPolicy.Never), interaction).GetAwaiter().GetResult();
    }

    private static void GenerateOpenPgp(OpenPgpToken token)
    {
        var interaction = new TokenInteraction { Pin = Pin.Pin, AdminPin = (_, _) => ValueTask.FromResult<Secret?>(Secret.Copy("12345678"u8)) };
        token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once, TouchPolicy.Never), interaction).GetAwaiter().GetResult();
    }

    private static void Check(CKR rv)
    {
        if (rv != CKR.CKR_OK)
        {
            throw new InvalidOperationException($"raw PKCS#11 call failed: {rv}");
        }
    }
}
