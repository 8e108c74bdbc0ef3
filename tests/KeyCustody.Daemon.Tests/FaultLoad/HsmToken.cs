using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// The SoftHSM2 token of a fault run and the two ways it goes wrong under the daemon: its directory moved away
/// (the token vanishes, then comes back unchanged), and a new token under the same label holding other keys
/// under the same labels (what a swapped or re-initialised HSM looks like; the daemon must refuse those keys).
/// </summary>
internal sealed class HsmToken
{
    public const string Label = "faultload";

    /// <summary>The token's user PIN: distinctive, so a search of every log line for it cannot miss or match by chance.</summary>
    public const string Pin = "hsm-Q7v3ZpK2";

    private readonly string _tokens;
    private readonly string _parked;
    private string? _original;

    public HsmToken(string directory)
    {
        Softhsm = new SoftHsmTokens(directory);
        _tokens = Path.Combine(directory, "softhsm-tokens");
        _parked = Path.Combine(directory, "softhsm-parked");
        Directory.CreateDirectory(_parked);
    }

    public SoftHsmTokens Softhsm { get; }

    public string ConfigPath => Softhsm.ConfigPath;

    public void Create()
    {
        Softhsm.CreateToken(Label, Pin);
        _original = Directory.GetDirectories(_tokens).Single();
    }

    /// <summary>The token's directory goes away: SoftHSM2 no longer lists the token.</summary>
    public void Park() => Directory.Move(_original!, Path.Combine(_parked, Path.GetFileName(_original!)));

    public void Unpark() => Directory.Move(Path.Combine(_parked, Path.GetFileName(_original!)), _original!);

    /// <summary>With the original parked: a new token labelled like it, with new keys under <paramref name="keyLabels"/>.</summary>
    public void CreateImpostor(IEnumerable<string> keyLabels)
    {
        Softhsm.CreateToken(Label, Pin);
        foreach (var label in keyLabels)
        {
            Run("pkcs11-tool", "--module", SoftHsmTokens.Module, "--token-label", Label, "--login", "--pin", Pin,
                "--keypairgen", "--key-type", "EC:edwards25519", "--label", label, "--usage-sign");
        }
    }

    /// <summary>Deletes every token directory but the (parked) original.</summary>
    public void RemoveImpostor()
    {
        foreach (var dir in Directory.GetDirectories(_tokens))
        {
            if (dir != _original)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private void Run(string program, params string[] arguments)
    {
        var (exit, output) = ChildProcess.Run(program, arguments, start => start.Environment["SOFTHSM2_CONF"] = ConfigPath);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{program} failed ({exit}): {output}");
        }
    }
}
