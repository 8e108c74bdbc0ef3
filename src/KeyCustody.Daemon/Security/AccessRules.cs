namespace KeyCustody.Daemon.Security;

/// <summary>What a rule lets a principal do with a key.</summary>
[Flags]
public enum Operations
{
    None = 0,
    Sign = 1,
    Approve = 2,
    Admin = 4,
}

/// <summary>One rule: a principal selector, key patterns and operations.</summary>
public sealed record AccessRule(string Selector, uint? Uid, uint? Gid, string? CertificateSubject, IReadOnlyList<string> KeyPatterns, Operations Operations)
{
    public bool Matches(Principal p) =>
        (Uid is not null && p.Uid == Uid)
        || (Gid is not null && (p.Gid == Gid || p.Groups.Contains(Gid.Value)))
        || (CertificateSubject is not null && p.CertificateSubject == CertificateSubject);

    public bool CoversKey(string key) => KeyPatterns.Any(pattern => Glob(pattern, key));

    /// <summary>
    /// The rule as resolved, for a reload's record and log line: "user:alice=uid:1000 keys=srv,yk-* ops=sign,admin".
    /// A rule holds no secret (PIN sources are not in it).
    /// </summary>
    public string Describe()
    {
        var resolved = Uid is { } uid ? $"uid:{uid}" : Gid is { } gid ? $"gid:{gid}" : $"cert:{CertificateSubject}";
        var ops = Enum.GetValues<Operations>().Where(o => o != Operations.None && Operations.HasFlag(o)).Select(o => o.ToString().ToLowerInvariant());
        return FormattableString.Invariant($"{Matrix.DisplayText.Clip(Selector, 200)}={resolved} keys={string.Join(',', KeyPatterns)} ops={string.Join(',', ops)}");
    }

    /// <summary>'*' matches any run of characters; everything else literally.</summary>
    internal static bool Glob(string pattern, string value)
    {
        var parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return pattern == value;
        }

        if (!value.StartsWith(parts[0], StringComparison.Ordinal) || !value.EndsWith(parts[^1], StringComparison.Ordinal) || value.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        var pos = parts[0].Length;
        var end = value.Length - parts[^1].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var at = value.IndexOf(parts[i], pos, end - pos, StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            pos = at + parts[i].Length;
        }

        return true;
    }
}

/// <summary>
/// Deny by default: a principal may do exactly what some rule grants it. The rules can be replaced while the daemon
/// runs (<c>systemctl reload</c>): the list is swapped whole, so every decision reads one consistent set, and a request
/// already past its check goes on under the rules it was checked against.
/// </summary>
public sealed class AccessRules(IReadOnlyList<AccessRule> rules)
{
    private volatile IReadOnlyList<AccessRule> _rules = rules;

    public IReadOnlyList<AccessRule> Rules => _rules;

    /// <summary>From now on the rules are <paramref name="replacement"/>'s (a reload that passed validation).</summary>
    public void Replace(AccessRules replacement) => _rules = replacement.Rules;

    /// <summary>The operations <paramref name="p"/> may perform on <paramref name="key"/>.</summary>
    public Operations Granted(Principal p, string key)
    {
        var ops = Operations.None;
        foreach (var rule in _rules)
        {
            if (rule.Matches(p) && rule.CoversKey(key))
            {
                ops |= rule.Operations;
            }
        }

        return ops;
    }

    public bool Allows(Principal p, string key, Operations op) => (Granted(p, key) & op) == op;

    /// <summary>True when some rule names the principal at all (it is a known caller).</summary>
    public bool Knows(Principal p) => Rules.Any(r => r.Matches(p));

    /// <summary>True when some rule lets the principal approve requests on some key.</summary>
    public bool MayApproveSome(Principal p) => Rules.Any(r => r.Matches(p) && (r.Operations & Operations.Approve) != 0);

    /// <summary>Admin operations not tied to a key: granted by an admin rule over "*".</summary>
    public bool AllowsGlobal(Principal p, Operations op) => Rules.Any(r => r.Matches(p) && (r.Operations & op) == op && r.KeyPatterns.Contains("*"));
}
