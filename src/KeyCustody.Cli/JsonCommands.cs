using System.CommandLine;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Cli;

/// <summary><c>keycustody json canonicalize | sign | verify</c>.</summary>
internal static class JsonCommands
{
    public static Command Build(Option<bool> jsonOutput)
    {
        var json = new Command("json", "Matrix canonical JSON and signed JSON");
        json.Subcommands.Add(Canonicalize());
        json.Subcommands.Add(Sign());
        json.Subcommands.Add(Verify(jsonOutput));
        return json;
    }

    private static Argument<string?> FileArgument() => new("FILE")
    {
        Description = "input file; standard input when absent or '-'",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static Option<bool> LinesOption() => new("--lines")
    {
        Description = "every input line is one document; every output line is its result or 'error: <reason>'",
    };

    private static Command Canonicalize()
    {
        var file = FileArgument();
        var lines = LinesOption();
        var cmd = new Command("canonicalize", "read JSON strictly and write its canonical form") { file, lines };
        cmd.SetAction(r => PerDocument(r.GetValue(file), r.GetValue(lines), bytes => CanonicalJson.Canonicalize(bytes)));
        return cmd;
    }

    private static Command Sign()
    {
        var file = FileArgument();
        var lines = LinesOption();
        var seed = DevCommands.SeedOption();
        var entity = new Option<string>("--entity") { Description = "signing entity: a user ID or a server name", Required = true };
        var keyName = new Option<string>("--key-name") { Description = "key name; the key id is ed25519:<NAME>", Required = true };
        var cmd = new Command("sign", "sign JSON objects with a software key (development helper); output is canonical signed JSON")
        {
            file, lines, seed, entity, keyName,
        };
        cmd.SetAction(r =>
        {
            using var key = DevCommands.ImportSeed(r.GetValue(seed)!);
            var who = r.GetValue(entity)!;
            var name = r.GetValue(keyName)!;
            if (who.Length == 0 || name.Length == 0)
            {
                throw new UsageException("--entity and --key-name must not be empty");
            }

            return PerDocument(r.GetValue(file), r.GetValue(lines), bytes =>
                CanonicalJson.Encode(SignedJson.Sign(CanonicalJson.ParseObject(bytes), who, name, key)));
        });
        return cmd;
    }

    private static Command Verify(Option<bool> jsonOutput)
    {
        var file = FileArgument();
        var publicKey = new Option<string>("--public-key") { Description = "unpadded base64 Ed25519 public key", Required = true };
        var entity = new Option<string>("--entity") { Description = "signing entity whose signature to check", Required = true };
        var keyName = new Option<string>("--key-name") { Description = "key name; the key id is ed25519:<NAME>", Required = true };
        var cmd = new Command("verify", "check one signature: exit 0 valid, 1 invalid (reason on stderr; with --json {\"valid\":false,\"reason\":...} on stdout), 2 bad input") { file, publicKey, entity, keyName };
        cmd.SetAction(r =>
        {
            if (!Ed25519PublicKey.TryFromBase64(r.GetValue(publicKey)!, out var key, out var keyError))
            {
                throw new UsageException("--public-key: " + keyError);
            }

            var obj = CanonicalJson.ParseObject(CliIo.ReadDocument(r.GetValue(file)));
            var check = SignedJson.Verify(obj, r.GetValue(entity)!, SignedJson.Ed25519Prefix + r.GetValue(keyName), key!);
            if (r.GetValue(jsonOutput))
            {
                JsonOut.Write(check.IsValid ? JsonOut.Object(("valid", true)) : JsonOut.Object(("valid", false), ("reason", check.Reason)));
                return check.IsValid ? ExitCodes.Ok : ExitCodes.No;
            }

            if (!check.IsValid)
            {
                Console.Error.WriteLine("invalid: " + check.Reason);
                return ExitCodes.No;
            }

            Console.Out.WriteLine("valid");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Runs <paramref name="transform"/> on one document, or on each line with <paramref name="lines"/>.</summary>
    private static int PerDocument(string? file, bool lines, Func<byte[], byte[]> transform)
    {
        if (!lines)
        {
            var result = transform(CliIo.ReadDocument(file));
            using var output = CliIo.OpenOutput();
            CliIo.WriteLine(output, result);
            return ExitCodes.Ok;
        }

        int total = 0, refused = 0;
        using (var output = CliIo.OpenOutput())
        {
            foreach (var line in CliIo.ReadLines(file))
            {
                total++;
                if (CliIo.TooLong(line))
                {
                    refused++;
                    CliIo.WriteLine(output, "error: " + CliIo.TooLongMessage);
                    continue;
                }

                try
                {
                    CliIo.WriteLine(output, transform(line));
                }
                catch (FormatException e)
                {
                    refused++;
                    CliIo.WriteLine(output, "error: " + e.Message);
                }
            }
        }

        if (refused > 0)
        {
            Console.Error.WriteLine($"error: {refused} of {total} lines were refused");
            return ExitCodes.BadInput;
        }

        return ExitCodes.Ok;
    }
}
