using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// `keycustody` refused by a socket's mode: a socket open to its owner only is another user's daemon, and asking to be
/// added to its group (what the CLI used to say) cannot help.
/// </summary>
public sealed class SocketAccessTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new { listen = new { socketMode = "0600" }, tokens = new[] { Software(_d, "soft") } });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public void Another_users_0600_socket_is_named_as_such()
    {
        var (exit, output) = RunCliAs(65534, 65534, new Dictionary<string, string>(), "--socket", _d.Socket, "keys", "list");
        Assert.Equal(5, exit);
        Assert.Contains($"permission denied on {_d.Socket}: the socket is open to its owner only (mode 600), so it is another user's keycustodyd", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ask to be added", output, StringComparison.Ordinal);
    }

    /// <summary>With no socket anywhere, the error named only the system socket; it names every place keycustody looked.</summary>
    [Fact]
    public void No_socket_anywhere_names_every_place_looked()
    {
        var runtime = Directory.CreateDirectory(Path.Combine(_d.Root, "runtime")).FullName;
        var (exit, output) = KeyCustody.Tests.Shared.ChildProcess.Run("dotnet", [KeyCustody.Tests.Shared.Binaries.Cli, "status"], start =>
        {
            start.Environment.Remove("KEYCUSTODY_SOCKET");
            start.Environment["XDG_RUNTIME_DIR"] = runtime;
        });
        Assert.Equal(5, exit);
        Assert.Contains($"there is no socket where keycustody looks ($KEYCUSTODY_SOCKET (not set), /run/keycustody/keycustodyd.sock, {runtime}/keycustody-simulator/keycustodyd.sock)", output, StringComparison.Ordinal);
    }

    /// <summary>With $KEYCUSTODY_SOCKET set to a path without a socket, the error listed places that were never tried.</summary>
    [Fact]
    public void A_socket_variable_without_a_socket_is_named_as_the_only_place_looked()
    {
        var runtime = Directory.CreateDirectory(Path.Combine(_d.Root, "runtime-set")).FullName;
        var missing = Path.Combine(_d.Root, "nothing-here.sock");
        var (exit, output) = KeyCustody.Tests.Shared.ChildProcess.Run("dotnet", [KeyCustody.Tests.Shared.Binaries.Cli, "status"], start =>
        {
            start.Environment["KEYCUSTODY_SOCKET"] = missing;
            start.Environment["XDG_RUNTIME_DIR"] = runtime;
        });
        Assert.Equal(5, exit);
        Assert.Contains($"there is no socket where keycustody looks ($KEYCUSTODY_SOCKET={missing}, the only place looked while it is set: unset it to search)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("keycustody-simulator", output, StringComparison.Ordinal);
    }

    /// <summary>A dead socket named by $KEYCUSTODY_SOCKET (no --socket given) was blamed on --socket.</summary>
    [Fact]
    public void A_dead_socket_from_the_variable_is_blamed_on_the_variable()
    {
        // Something at the path that no daemon serves (.NET removes a socket's file when it closes, so a plain file).
        var dead = Path.Combine(_d.Root, "dead.sock");
        File.WriteAllText(dead, string.Empty);

        var (exit, output) = KeyCustody.Tests.Shared.ChildProcess.Run("dotnet", [KeyCustody.Tests.Shared.Binaries.Cli, "status"], start =>
            start.Environment["KEYCUSTODY_SOCKET"] = dead);
        Assert.Equal(5, exit);
        Assert.Contains($"cannot reach keycustodyd at {dead} (is it running, and is $KEYCUSTODY_SOCKET right?)", output, StringComparison.Ordinal);
    }
}
