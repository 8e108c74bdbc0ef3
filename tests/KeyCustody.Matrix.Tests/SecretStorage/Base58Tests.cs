using System.Text;
using KeyCustody.Matrix.SecretStorage;
using Xunit;

namespace KeyCustody.Matrix.Tests.SecretStorage;

/// <summary>Base58 (Bitcoin alphabet) against the outputs of bs58 6.0.0, the library matrix-js-sdk encodes recovery keys with.</summary>
public sealed class Base58Tests
{
    [Theory]
    [InlineData("1112", "00000001")]
    [InlineData("111", "000000")]
    [InlineData("z", "39")]
    [InlineData("zz", "0d23")]
    [InlineData("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9", "01bba4778a150ca4f7c647f7aa14522c6ae14fc345e410ea")]
    public void Decodes_and_encodes_as_bs58_does(string text, string hex)
    {
        using var decoded = Base58.Decode(Encoding.ASCII.GetBytes(text), out var bad);
        Assert.Equal(-1, bad);
        Assert.Equal(hex, Convert.ToHexStringLower(decoded!.Span));
        Assert.Equal(text, Encoding.ASCII.GetString(Base58.Encode(Convert.FromHexString(hex))));
    }
}
