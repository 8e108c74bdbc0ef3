using System.Runtime.CompilerServices;
using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Pkcs11.Native;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// Our PKCS#11 binding (Pkcs11/Native) on its own, against the real SoftHSM2: the structures as C lays them out, each
/// bound function doing what its name says, values read in two calls, searches longer than one batch.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class BindingTests
{
    /// <summary>The sizes gcc gives p11-kit's pkcs11.h on x86_64 (sizeof(CK_INFO) etc.): a field too many or a wrong type shows.</summary>
    [Fact]
    public void Structures_have_the_sizes_of_the_C_ones()
    {
        Assert.Equal(8, nuint.Size);
        Assert.Equal(2, Unsafe.SizeOf<CkVersion>());
        Assert.Equal(88, Unsafe.SizeOf<CkInfo>());
        Assert.Equal(112, Unsafe.SizeOf<CkSlotInfo>());
        Assert.Equal(208, Unsafe.SizeOf<CkTokenInfo>());
        Assert.Equal(32, Unsafe.SizeOf<CkSessionInfo>());
        Assert.Equal(24, Unsafe.SizeOf<CkAttribute>());
        Assert.Equal(24, Unsafe.SizeOf<CkMechanism>());
        Assert.Equal(48, Unsafe.SizeOf<CkInitializeArgs>());
    }

    /// <summary>Pkcs11Interop cannot run under Native AOT ("CK_FUNCTION_LIST is missing structure marshalling data"): the product must not use it.</summary>
    [Fact]
    public void The_token_library_does_not_reference_Pkcs11Interop()
    {
        var references = typeof(Pkcs11Token).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain("Pkcs11Interop", references);
        Assert.Contains("NSec.Cryptography", references);
    }

    [Fact]
    public void A_token_key_pair_and_signature_go_through_every_bound_function()
    {
        var label = SoftHsm.CreateToken();
        var module = Pkcs11Module.Acquire(SoftHsm.Module);
        try
        {
            Assert.StartsWith("SoftHSM", module.Description, StringComparison.Ordinal);
            Assert.Null(module.Ykcs11Version);
            var slot = module.GetSlotList().Single(s => s.GetTokenInfo().Label == label);
            var info = slot.GetTokenInfo();
            Assert.True(info.TokenInitialized);
            Assert.False(info.UserPinLocked);
            Assert.Matches("^[0-9a-f]{16}$", info.SerialNumber);
            Assert.Equal("SoftHSM project", info.ManufacturerId);
            Assert.Matches(@"^\d+\.\d+$", info.FirmwareVersion);
            Assert.False(slot.GetSlotInfo().HardwareSlot);

            using var session = slot.OpenSession(readWrite: true);
            Assert.Equal(2UL, session.State()); // CKS_RW_PUBLIC_SESSION
            Assert.Equal(CKR.CKR_PIN_INCORRECT, session.Login(CKU.CKU_USER, "000000"u8));
            Assert.Equal(CKR.CKR_PIN_INCORRECT, session.Login(CKU.CKU_USER, []));
            Assert.Equal(CKR.CKR_OK, session.Login(CKU.CKU_USER, "123456"u8));
            Assert.Equal(CKS.CKS_RW_USER_FUNCTIONS, session.State());

            var (publicKey, privateKey) = session.GenerateKeyPair(
                Pkcs11Native.CkmEcEdwardsKeyPairGen,
                [Pkcs11Attribute.Of(CKA.CKA_TOKEN, true), Pkcs11Attribute.Of(CKA.CKA_EC_PARAMS, Pkcs11Native.Edwards25519Params), Pkcs11Attribute.Of(CKA.CKA_LABEL, "bindé"), Pkcs11Attribute.Of(CKA.CKA_ID, new byte[] { 7 })],
                [Pkcs11Attribute.Of(CKA.CKA_TOKEN, true), Pkcs11Attribute.Of(CKA.CKA_SIGN, true), Pkcs11Attribute.Of(CKA.CKA_SENSITIVE, true), Pkcs11Attribute.Of(CKA.CKA_LABEL, "bindé")]);
            Assert.Equal([publicKey], session.FindAllObjects([Pkcs11Attribute.Of(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), Pkcs11Attribute.Of(CKA.CKA_LABEL, "bindé")]));
            Assert.Equal([privateKey], session.FindAllObjects([Pkcs11Attribute.Of(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), Pkcs11Attribute.Of(CKA.CKA_LABEL, "bindé")]));

            // CKA_VALUE of a sensitive key and a vendor attribute SoftHSM2 does not have: answers, not failures.
            var values = session.GetAttributeValue(privateKey, [CKA.CKA_LABEL, CKA.CKA_KEY_TYPE, 0x11 /* CKA_VALUE */, Pkcs11Native.CkaYubicoTouchPolicy, CKA.CKA_SENSITIVE, CKA.CKA_ID]);
            Assert.Equal("bindé", values[0].AsText());
            Assert.Equal(Pkcs11Native.CkkEcEdwards, values[1].AsNumber());
            Assert.True(values[2].CannotBeRead);
            Assert.True(values[3].CannotBeRead);
            Assert.True(values[4].AsBool());
            Assert.Equal(new byte[] { 7 }, session.GetAttributeValue(publicKey, [CKA.CKA_ID])[0].AsBytes());
            Assert.False(values[5].CannotBeRead);
            Assert.Empty(values[5].AsBytes()); // the private half was given no CKA_ID: an empty value, not an unreadable one
            var point = session.GetAttributeValue(publicKey, [CKA.CKA_EC_POINT])[0].AsBytes();
            var raw = Pkcs11Native.PublicKeyFromEcPoint(point)!;

            byte[] message = [1, 2, 3, 4, 5];
            Assert.Equal(CKR.CKR_OK, session.SignInit(Pkcs11Native.CkmEddsa, privateKey));
            var small = new byte[10];
            Assert.Equal(CKR.CKR_BUFFER_TOO_SMALL, session.Sign(message, small, out var needed));
            Assert.Equal(64, needed);
            var signature = new byte[64];
            Assert.Equal(CKR.CKR_OK, session.Sign(message, signature, out var length));
            Assert.Equal(64, length);
            Assert.True(Ed25519Oracle.Verifies(raw, message, signature));
            Assert.Equal(CKR.CKR_OK, session.SignInit(Pkcs11Native.CkmEddsa, privateKey));
            Assert.Equal(CKR.CKR_OK, session.Sign([], signature, out _));
            Assert.True(Ed25519Oracle.Verifies(raw, [], signature));

            session.DestroyObject(publicKey);
            session.DestroyObject(privateKey);
            Assert.Empty(session.FindAllObjects([Pkcs11Attribute.Of(CKA.CKA_LABEL, "bindé")]));
            session.Logout();
            Assert.Equal(2UL, session.State());
        }
        finally
        {
            module.Release();
        }
    }

    /// <summary>An empty span's pointer is NULL, which a module takes as "no argument": an empty message is still one to sign.</summary>
    [Fact]
    public async Task An_empty_message_is_signed()
    {
        using var token = SoftHsm.Open(SoftHsm.CreateToken(), poolSize: 1);
        var interaction = new Prompts().With(SoftHsm.UserPin);
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("k", PinPolicy.Once), interaction);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, [], await token.SignAsync("k", ReadOnlyMemory<byte>.Empty, interaction)));
    }

    [Fact]
    public void A_search_returns_every_object_past_one_batch()
    {
        var label = SoftHsm.CreateToken();
        var module = Pkcs11Module.Acquire(SoftHsm.Module);
        try
        {
            using var session = module.GetSlotList().Single(s => s.GetTokenInfo().Label == label).OpenSession(readWrite: true);
            Assert.Equal(CKR.CKR_OK, session.Login(CKU.CKU_USER, "123456"u8));
            var made = new List<ulong>();
            for (int i = 0; i < 20; i++)
            {
                var (publicKey, privateKey) = session.GenerateKeyPair(
                    Pkcs11Native.CkmEcEdwardsKeyPairGen,
                    [Pkcs11Attribute.Of(CKA.CKA_EC_PARAMS, Pkcs11Native.Edwards25519Params), Pkcs11Attribute.Of(CKA.CKA_LABEL, "many")],
                    [Pkcs11Attribute.Of(CKA.CKA_LABEL, "many")]);
                made.Add(publicKey);
                made.Add(privateKey);
            }

            var found = session.FindAllObjects([Pkcs11Attribute.Of(CKA.CKA_LABEL, "many")]);
            Assert.Equal(made.Order(), found.Order());

            // The search was ended: the next one starts (CKR_OPERATION_ACTIVE otherwise).
            Assert.Equal(20, session.FindAllObjects([Pkcs11Attribute.Of(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), Pkcs11Attribute.Of(CKA.CKA_LABEL, "many")]).Count);
        }
        finally
        {
            module.Release();
        }
    }

    [Fact]
    public void A_shared_object_that_is_no_PKCS11_module_is_named_so()
    {
        const string library = "/usr/lib/x86_64-linux-gnu/libz.so.1";
        Assert.True(File.Exists(library), $"{library} is missing (zlib1g)");
        var error = Assert.Throws<DeviceErrorException>(() => Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = library, TokenLabel = "x" }));
        Assert.Contains("no C_GetFunctionList", error.Message, StringComparison.Ordinal);
        Assert.Contains(library, error.Message, StringComparison.Ordinal);
    }
}
