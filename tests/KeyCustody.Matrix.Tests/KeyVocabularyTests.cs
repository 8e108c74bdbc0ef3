using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Policy;
using Xunit;

namespace KeyCustody.Matrix.Tests;

/// <summary>One vocabulary of roles and usages: each cross-signing role is its usage, named alike everywhere; a server key has no usage.</summary>
public sealed class KeyVocabularyTests
{
    [Theory]
    [InlineData(KeyRole.Master, "master", "master key", "master_key", "master_keys")]
    [InlineData(KeyRole.SelfSigning, "self_signing", "self-signing key", "self_signing_key", "self_signing_keys")]
    [InlineData(KeyRole.UserSigning, "user_signing", "user-signing key", "user_signing_key", "user_signing_keys")]
    public void A_cross_signing_role_and_its_usage_share_every_name(KeyRole role, string name, string described, string uploadMember, string querySection)
    {
        var usage = role.ToUsage()!.Value;
        Assert.Equal(role, usage.ToRole());
        Assert.Equal((name, described), (role.ToConfigName(), role.Describe()));
        Assert.Equal((name, described, uploadMember, querySection), (usage.ToJson(), usage.Describe(), usage.UploadMember(), usage.QuerySection()));
        Assert.True(KeyRoleNames.TryParse(name, out var parsedRole) && parsedRole == role);
        Assert.True(KeyUsageNames.TryParse(name, out var parsedUsage) && parsedUsage == usage);
    }

    [Fact]
    public void A_server_key_is_a_role_without_a_usage_and_unknown_names_are_neither()
    {
        Assert.Null(KeyRole.Server.ToUsage());
        Assert.Equal(("server", "server signing key"), (KeyRole.Server.ToConfigName(), KeyRole.Server.Describe()));
        Assert.True(KeyRoleNames.TryParse("server", out var server) && server == KeyRole.Server);
        Assert.False(KeyUsageNames.TryParse("server", out _));
        Assert.False(KeyRoleNames.TryParse("Master", out _));
        Assert.False(KeyUsageNames.TryParse(null, out _));
        Assert.Equal(KeyUsageNames.All, Enum.GetValues<KeyUsage>());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((KeyUsage)3).ToRole());
    }
}
