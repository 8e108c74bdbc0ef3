using Xunit;

namespace KeyCustody.Matrix.Tests;

/// <summary>The user-ID grammar (spec appendices, historical user IDs included) and the device IDs servers and clients make.</summary>
public sealed class IdentifierGrammarTests
{
    [Theory]
    [InlineData("@alice:example.org")]
    [InlineData("@a.b_c=d-e/f+g:example.org")]
    [InlineData("@Alice!#$%&'()*@[]^`{|}~:example.org")] // historical: printable ASCII but ':'
    [InlineData("@alice:example.org:8448")]
    [InlineData("@alice:1.2.3.4:1234")]
    [InlineData("@alice:[1234:5678::abcd]:5678")]
    [InlineData("@alice:[::1]")]
    [InlineData("@alice:localhost")]
    public void User_ids_of_the_grammar_pass(string userId) => Assert.Null(IdentifierGrammar.UserIdProblem(userId));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("alice:example.org", "does not start with '@'")]
    [InlineData("@alice", "no ':' between")]
    [InlineData("@:example.org", "its localpart is empty")]
    [InlineData("@al\u202Eice:example.org", "character 4 is U+202E, a format character")]
    [InlineData("@alice\u001B[2K:example.org", "character 7 is U+001B, a control character")]
    [InlineData("@alice:exa mple.org", "U+0020, a space")]
    [InlineData("@\u00E4lice:example.org", "U+00E4, not ASCII")]
    [InlineData("@alice\u0000:example.org", "U+0000, a control character")]
    [InlineData("@alice:", "its server name is empty")]
    [InlineData("@alice:exa_mple.org", "is not a DNS name")]
    [InlineData("@alice:example.org:", "a port of 1 to 5 digits")]
    [InlineData("@alice:example.org:123456", "a port of 1 to 5 digits")]
    [InlineData("@alice:example.org:80x", "a port of 1 to 5 digits")]
    [InlineData("@alice:[::1", "never closes it")]
    [InlineData("@alice:[g::1]", "IPv6 literal that is not")]
    [InlineData("@alice:[::1]x", "a port of 1 to 5 digits")]
    public void Anything_else_is_refused_saying_why_without_quoting_it(string userId, string why)
    {
        var problem = IdentifierGrammar.UserIdProblem(userId);
        Assert.NotNull(problem);
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(problem, c => c is < '\u0020' or > '\u007E');
    }

    [Fact]
    public void A_user_id_has_at_most_255_bytes()
    {
        var longest = "@" + new string('a', 255 - "@:example.org".Length) + ":example.org";
        Assert.Null(IdentifierGrammar.UserIdProblem(longest));
        Assert.Contains("256 bytes long", IdentifierGrammar.UserIdProblem("@a" + longest[1..]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("JLAFKJWSCS")] // Synapse
    [InlineData("AZaz09._~!$&'()*+,;=:@/-")] // the authentication service's alphabet (OAuth scope characters)
    [InlineData("5ePqkHYN5xtVq0yD2Z2QK1OelxZv6nWYnt7ssJsgTXo")] // matrix-rust-sdk: unpadded base64 of a Curve25519 key
    [InlineData("\"quoted\\")]
    public void Device_ids_clients_make_pass(string deviceId) => Assert.Null(IdentifierGrammar.DeviceIdProblem(deviceId));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("PHONE\u001B[2K\r\u001B[1A\u001B[2K", "character 6 is U+001B, a control character")]
    [InlineData("PHONE\u202E", "U+202E, a format character")]
    [InlineData("PHONE\u200B", "U+200B, a format character")]
    [InlineData("MY PHONE", "U+0020, a space")]
    [InlineData("T\u00C9L\u00C9PHONE", "U+00C9, not ASCII")]
    [InlineData("PHONE\u2028", "U+2028, a space")]
    [InlineData("\uD83D\uDCF1", "U+1F4F1, not ASCII")]
    [InlineData("PHONE\u007F", "U+007F, a control character")]
    public void Device_ids_with_control_format_bidi_space_or_other_characters_are_refused(string deviceId, string why)
    {
        var problem = IdentifierGrammar.DeviceIdProblem(deviceId);
        Assert.NotNull(problem);
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(problem, c => c is < '\u0020' or > '\u007E');
    }

    [Fact]
    public void A_device_id_has_at_most_255_characters()
    {
        Assert.Null(IdentifierGrammar.DeviceIdProblem(new string('A', 255)));
        Assert.Contains("256 characters long", IdentifierGrammar.DeviceIdProblem(new string('A', 256)), StringComparison.Ordinal);
    }
}
