using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// udev/70-keycustody.rules gives the keycustody group only what the daemon itself opens: the YubiHSM 2 (1050:0030,
/// yubihsm_pkcs11 over libusb). YubiKeys are pcscd's (the daemon reaches them through its socket). Debian 12's udevadm
/// has no `verify` and no device to test against here, so the rules are read as udev reads them: each rule line is
/// comma-separated keys, `==`/`!=` match and `=`/`+=`/`:=` assign.
/// </summary>
public sealed class UdevRuleTests
{
    private static readonly string[] Permissions = ["GROUP", "OWNER", "MODE", "TAG"];

    private static List<List<(string Key, string Op, string Value)>> Rules() =>
        File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "udev", "70-keycustody.rules"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(',').Select(Parse).ToList())
            .ToList();

    private static (string Key, string Op, string Value) Parse(string part)
    {
        part = part.Trim();
        foreach (var op in new[] { "==", "!=", "+=", ":=", "=" })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                return (part[..at], op, part[(at + op.Length)..].Trim('"'));
            }
        }

        throw new InvalidOperationException($"not a udev key: {part}");
    }

    [Fact]
    public void Only_the_YubiHSM_2_is_given_to_the_keycustody_group()
    {
        var rules = Rules();

        // Every rule that hands out a permission is one for product 0030 ...
        var granting = rules.Where(r => r.Any(k => Permissions.Contains(k.Key) && k.Op != "==" && k.Op != "!=")).ToList();
        Assert.NotEmpty(granting);
        Assert.All(granting, r => Assert.Contains(("ATTR{idProduct}", "==", "0030"), r));
        Assert.All(granting, r => Assert.Contains(("GROUP", "=", "keycustody"), r));

        // ... reached only for Yubico's USB devices being added or changed: every other event jumps to the end first.
        var end = rules.Single(r => r.Any(k => k.Key == "LABEL")).Single().Value;
        var guards = rules.TakeWhile(r => !granting.Contains(r)).Where(r => r.Contains(("GOTO", "=", end))).Select(r => r[0]).ToList();
        Assert.Contains(("SUBSYSTEM", "!=", "usb"), guards);
        Assert.Contains(("ENV{DEVTYPE}", "!=", "usb_device"), guards);
        Assert.Contains(("ATTR{idVendor}", "!=", "1050"), guards);
        Assert.Contains(("ACTION", "!=", "add|change"), guards);
    }
}
