using System.Text;
using KeyCustody.Matrix.SecretStorage;
using Xunit;

namespace KeyCustody.Matrix.Tests.SecretStorage;

/// <summary>Recovery keys: matrix-rust-sdk's <c>base58_parsing</c> vectors (secret_storage.rs), and round trips.</summary>
public sealed class RecoveryKeyTests
{
    // matrix-rust-sdk crates/matrix-sdk-crypto/src/secret_storage.rs, test base58_parsing.
    private static readonly byte[] RustDecodedKey =
    [
        159, 189, 70, 187, 52, 81, 113, 198, 246, 2, 44, 154, 37, 213, 104, 27, 165, 78, 236,
        106, 108, 73, 83, 243, 173, 192, 185, 110, 157, 145, 173, 163,
    ];

    [Fact]
    public void Whitespace_anywhere_does_not_count()
    {
        using var key = RecoveryKey.Decode("EsT           pRvZTnjck8    YrhRAtw XLS84Nr2r9S9LGAWDaExVAPBvLRK   "u8);
        Assert.Equal(RustDecodedKey, key.Span.ToArray());
        using var again = RecoveryKey.Decode("EsTp\tRvZT\r\nnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRK\n"u8);
        Assert.Equal(RustDecodedKey, again.Span.ToArray());
    }

    [Theory]
    [InlineData("EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk", "parity byte does not match")]
    [InlineData("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk", "does not start with the recovery key prefix")]
    [InlineData("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9", "decodes to 24 bytes, not 35")]
    [InlineData("AATpRvZTnjck8YrhRAtwXLS84Nr0OIl", "character 28 (not counting spaces) is not in the base58 alphabet")]
    [InlineData("   ", "it is empty")]
    public void Malformed_recovery_keys_are_refused_saying_why(string typed, string why)
    {
        var e = Assert.Throws<SecretStorageException>(() => RecoveryKey.Decode(Encoding.ASCII.GetBytes(typed)));
        Assert.Equal(SecretStorageErrorKind.RecoveryKeyFormat, e.Kind);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("EsT", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoding_matches_matrix_js_sdk_and_decodes_back()
    {
        var vector = SecretStorageVectors.RecoveryKeyVector;
        var key = Convert.FromHexString(vector.GetProperty("key_hex").GetString()!);
        var encoded = RecoveryKey.Encode(key);
        Assert.Equal(vector.GetProperty("recovery_key").GetString(), Encoding.ASCII.GetString(encoded));
        using var decoded = RecoveryKey.Decode(encoded);
        Assert.Equal(key, decoded.Span.ToArray());
    }

    [Fact]
    public void Keys_with_leading_zero_bytes_round_trip()
    {
        // Base58 encodes leading zero bytes as '1's; the prefix makes them impossible at the front, but the key
        // material itself may be all zeros.
        var zero = new byte[32];
        var encoded = RecoveryKey.Encode(zero);
        using var decoded = RecoveryKey.Decode(encoded);
        Assert.Equal(zero, decoded.Span.ToArray());

        var random = new byte[32];
        for (var i = 0; i < 200; i++)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            using var back = RecoveryKey.Decode(RecoveryKey.Encode(random));
            Assert.Equal(random, back.Span.ToArray());
        }
    }
}
