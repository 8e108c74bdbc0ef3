using Xunit;

namespace KeyCustody.Matrix.Tests;

/// <summary>Caller text put in front of people: what a terminal would not show as itself becomes \u{XXXX}.</summary>
public sealed class DisplayTextTests
{
    [Theory]
    [InlineData("PHONE\u001b[2K\r\u001b[1A\u001b[2K", "PHONE\\u{1B}[2K\\u{D}\\u{1B}[1A\\u{1B}[2K")]
    [InlineData("@mallory\u202egro.elpmaxe:example.org", "@mallory\\u{202E}gro.elpmaxe:example.org")]
    [InlineData("a\u2066b\u2069c\u200fd\u200be\u2028f\u0085g\u00adh", "a\\u{2066}b\\u{2069}c\\u{200F}d\\u{200B}e\\u{2028}f\\u{85}g\\u{AD}h")]
    [InlineData("tab\there\nnewline\u007f", "tab\\u{9}here\\u{A}newline\\u{7F}")]
    [InlineData("tag\U000E0041\U000E007F", "tag\\u{E0041}\\u{E007F}")]
    public void Hidden_characters_are_made_visible(string text, string shown)
    {
        Assert.Equal(shown, DisplayText.Escape(text));
        Assert.False(DisplayText.IsPlain(text));
    }

    [Theory]
    [InlineData("sign device LAPTOP of @alice:example.org with the self-signing key")]
    [InlineData("Ünïcödé, 日本語, emoji 🔑, Arabic مرحبا and Hebrew שלום as they are")]
    [InlineData("a literal \\u{1B} stays")]
    [InlineData("")]
    public void Visible_text_is_left_alone(string text)
    {
        Assert.True(DisplayText.IsPlain(text));
        Assert.Same(text, DisplayText.Escape(text));
    }

    [Fact]
    public void A_lone_surrogate_is_made_visible() =>
        Assert.Equal("lone \\u{D800} surrogate", DisplayText.Escape("lone " + (char)0xD800 + " surrogate"));

    [Fact]
    public void Escaping_twice_is_escaping_once() =>
        Assert.Equal(DisplayText.Escape("x\u001by\u202ez"), DisplayText.Escape(DisplayText.Escape("x\u001by\u202ez")));

    [Fact]
    public void Clip_escapes_then_cuts_and_says_how_long_the_text_was() =>
        Assert.Equal("\\u{1B}abc… (11 characters)", DisplayText.Clip("\u001babcdefghij", 9));

    [Fact]
    public void In_json_hidden_characters_become_json_escapes_of_the_same_string()
    {
        var json = "{\"intent\":\"sign \u202e and \U000E0041\"}";
        var escaped = DisplayText.EscapeJson(json);
        Assert.Equal("{\"intent\":\"sign \\u202e and \\udb40\\udc41\"}", escaped);
        Assert.Equal(
            System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("intent").GetString(),
            System.Text.Json.JsonDocument.Parse(escaped).RootElement.GetProperty("intent").GetString());
    }
}
