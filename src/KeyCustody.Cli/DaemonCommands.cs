using System.CommandLine;
using Google.Protobuf;
using KeyCustody.Client;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli;

/// <summary>Commands that talk to keycustodyd: keys, sign, cross-sign, pending, approve, deny, status; and audit verify.</summary>
internal static class DaemonCommands
{
    /// <summary>The most records one audit tail returns (the daemon's own limit, <c>AdminService.AuditTail</c>).</summary>
    private const int MaxTail = 10_000;

    private static Option<bool> Json { get; set; } = null!;

    public static Option<string> SocketOption() => new("--socket")
    {
        Description = DaemonSocket.Description,
        Recursive = true,
    };

    public static IEnumerable<Command> Build(Option<string> socket, Option<bool> json)
    {
        Json = json;
        yield return Keys(socket);
        yield return Sign(socket);
        yield return CrossSign(socket);
        yield return Pending(socket);
        yield return Approve(socket);
        yield return Deny(socket);
        yield return Status(socket);
        yield return Audit(socket);
    }

    private static Command Keys(Option<string> socket)
    {
        var keys = new Command("keys", "keys held by the daemon");
        var list = new Command("list", "the keys you may use, with their public keys, tokens and presence");
        list.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            var response = await client.Custody.ListKeysAsync(new ListKeysRequest(), cancellationToken: ct);
            if (r.GetValue(Json))
            {
                return JsonOut.Write(response.Keys.Select(k => JsonOut.Object(
                    ("name", k.Name), ("role", k.Role), ("owner", k.Owner), ("public_key", k.PublicKey), ("key_id", k.KeyId), ("token", k.Token),
                    ("token_kind", k.TokenKind), ("token_serial", k.TokenSerial), ("hardware_backed", k.HardwareBacked), ("presence", k.Presence),
                    ("pin_policy", k.PinPolicy), ("touch_policy", k.TouchPolicy), ("operations", JsonOut.Array(k.Operations)),
                    ("provenance", KeyTrustCommands.ToJson(k.Provenance)), ("problem", k.Problem))));
            }

            // A key with a public key (pinned or configured) that cannot be used now says why instead of its trust: a
            // pinned key missing from its token is not "trusted" (an empty key never made shows dashes, as before).
            foreach (var k in response.Keys)
            {
                Console.Out.WriteLine($"{k.Name}\t{k.Role}\t{k.Owner}\t{Dash(k.PublicKey)}\t{TokenLabel(k.TokenKind, k.TokenSerial)}\tpresence={Dash(k.Presence)}\tpin={Dash(k.PinPolicy)}\ttouch={Dash(k.TouchPolicy)}\t{string.Join(",", k.Operations)}\t{(k.Problem.Length == 0 || k.PublicKey.Length == 0 ? KeyTrustCommands.Summary(k.Provenance) : "NOT USABLE: " + k.Problem)}");
            }

            return ExitCodes.Ok;
        });
        keys.Subcommands.Add(list);
        var user = new Option<string>("--user") { Description = "the user whose cross-signing keys to show", Required = true };
        var publicKeys = new Command("public", "a user's public cross-signing keys as the /keys/device_signing/upload body") { user };
        publicKeys.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            var response = await client.GetPublicKeysAsync(r.GetValue(user)!, ct);
            foreach (var missing in response.Missing)
            {
                Console.Error.WriteLine("incomplete: " + missing);
            }

            if (response.DeviceSigningUpload.IsEmpty)
            {
                return ExitCodes.No;
            }

            using var output = CliIo.OpenOutput();
            CliIo.WriteLine(output, response.DeviceSigningUpload.Span);
            return response.Missing.Count == 0 ? ExitCodes.Ok : ExitCodes.No;
        });
        keys.Subcommands.Add(publicKeys);
        var genKey = new Option<string>("--key") { Description = "the configured key to generate on its token", Required = true };
        var genPin = new Option<string>("--pin-policy") { Description = "default, never, once, always", DefaultValueFactory = _ => "default" };
        var genTouch = new Option<string>("--touch-policy") { Description = "default, never, always, cached", DefaultValueFactory = _ => "default" };
        var genOverwrite = new Option<bool>("--overwrite") { Description = "replace an existing key (it is lost)" };
        var generate = new Command("generate", "generate a configured key on its token (the private key never leaves it); prints the public key") { genKey, genPin, genTouch, genOverwrite };
        generate.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            var response = await client.Admin.GenerateKeyAsync(
                new GenerateKeyRequest { Key = r.GetValue(genKey)!, PinPolicy = r.GetValue(genPin)!, TouchPolicy = r.GetValue(genTouch)!, Overwrite = r.GetValue(genOverwrite) },
                cancellationToken: ct);
            return r.GetValue(Json)
                ? JsonOut.Write(JsonOut.Object(("public_key", response.PublicKey), ("pin_policy", response.PinPolicy), ("touch_policy", response.TouchPolicy)))
                : Say(response.PublicKey);
        });
        keys.Subcommands.Add(generate);
        foreach (var decision in KeyTrustCommands.Build(socket, Json))
        {
            keys.Subcommands.Add(decision);
        }

        return keys;
    }

    private static Command Sign(Option<string> socket)
    {
        var key = new Option<string>("--key") { Description = "the daemon's name for the key", Required = true };
        var file = new Argument<string?>("FILE") { Description = "JSON object; standard input when absent or '-'", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("sign", "have the daemon sign one JSON object; prints the canonical signed JSON") { key, file };
        cmd.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            var request = new SignJsonRequest { Key = r.GetValue(key)!, Json = ByteString.CopyFrom(CliIo.ReadDocument(r.GetValue(file))) };
            var signed = await KeyCustodyClient.FollowAsync(client.Custody.SignJson(request, cancellationToken: ct), Progress.Show, ct);
            using var output = CliIo.OpenOutput();
            CliIo.WriteLine(output, signed.SignedJson[0].Span);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command CrossSign(Option<string> socket)
    {
        var cross = new Command("cross-sign", "cross-sign a device (self-signing key) or another user (user-signing key)");
        foreach (var (name, what) in new[] { ("device", "device keys as /keys/query returned them"), ("user", "the other user's master key object") })
        {
            var key = new Option<string>("--key") { Description = name == "device" ? "the self-signing key's name" : "the user-signing key's name", Required = true };
            var file = new Argument<string?>("FILE") { Description = what + "; standard input when absent", Arity = ArgumentArity.ZeroOrOne };
            var cmd = new Command(name, $"sign {what}; prints the /keys/signatures/upload body") { key, file };
            var upload = Publishing.SignaturesUploadHook.AddTo(cmd);
            cmd.SetAction(async (r, ct) =>
            {
                using var homeserver = upload.Open(r);
                using var client = Connect(r, socket);
                var json = ByteString.CopyFrom(CliIo.ReadDocument(r.GetValue(file)));
                var call = name == "device"
                    ? client.Custody.CrossSignDevice(new CrossSignDeviceRequest { Key = r.GetValue(key)!, DeviceKeys = json }, cancellationToken: ct)
                    : client.Custody.CrossSignUser(new CrossSignUserRequest { Key = r.GetValue(key)!, MasterKey = json }, cancellationToken: ct);
                var signed = await KeyCustodyClient.FollowAsync(call, Progress.Show, ct);
                return await upload.FinishAsync(r, homeserver, signed.SignaturesUpload.Memory, ct);
            });
            cross.Subcommands.Add(cmd);
        }

        return cross;
    }

    private static Command Pending(Option<string> socket)
    {
        var cmd = new Command("pending", "requests waiting for an operator's approval");
        cmd.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            var response = await client.Admin.ListPendingAsync(new ListPendingRequest(), cancellationToken: ct);
            if (r.GetValue(Json))
            {
                return JsonOut.Write(response.Pending.Select(p => JsonOut.Object(
                    ("request_id", p.RequestId), ("principal", p.Principal), ("key", p.Key), ("intent", p.Intent), ("created", p.Created), ("expires", p.Expires),
                    ("payload_sha256", JsonOut.Array(p.PayloadSha256)))));
            }

            if (response.Pending.Count == 0)
            {
                // On stderr: stdout stays one line per request (nothing here), for scripts.
                Console.Error.WriteLine("no requests are waiting for approval");
            }

            foreach (var p in response.Pending)
            {
                var left = DateTimeOffset.FromUnixTimeSeconds(p.Expires) - DateTimeOffset.UtcNow;
                // Every field may carry a requester's text: shown escaped, so it cannot rewrite the approver's terminal.
                Console.Out.WriteLine($"{Shown(p.RequestId)}\t{Shown(p.Principal)}\t{Shown(p.Key)}\t{Shown(p.Intent)}\t(expires in {Math.Max(0, (int)left.TotalSeconds)} s)");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Approve(Option<string> socket)
    {
        var id = new Argument<string>("REQUEST_ID") { Description = "from 'keycustody pending'" };
        var cmd = new Command("approve", "approve a pending request") { id };
        cmd.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            await client.Admin.ApproveAsync(new ApproveRequest { RequestId = r.GetValue(id)! }, cancellationToken: ct);
            _ = r.GetValue(Json) ? JsonOut.Write(JsonOut.Object(("approved", r.GetValue(id)!))) : Say("approved " + r.GetValue(id));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Deny(Option<string> socket)
    {
        var id = new Argument<string>("REQUEST_ID") { Description = "from 'keycustody pending'" };
        var reason = new Option<string>("--reason") { Description = "told to the requester", DefaultValueFactory = _ => string.Empty };
        var cmd = new Command("deny", "deny a pending request") { id, reason };
        cmd.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            await client.Admin.DenyAsync(new DenyRequest { RequestId = r.GetValue(id)!, Reason = r.GetValue(reason)! }, cancellationToken: ct);
            _ = r.GetValue(Json) ? JsonOut.Write(JsonOut.Object(("denied", r.GetValue(id)!))) : Say("denied " + r.GetValue(id));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Status(Option<string> socket)
    {
        var cmd = new Command("status", "every configured token: present, serial, firmware, PIN retries (admin PIN retries and signature counter where the card keeps them)");
        cmd.SetAction(async (r, ct) =>
        {
            using var client = Connect(r, socket);
            var response = await client.Admin.TokenStatusAsync(new TokenStatusRequest(), cancellationToken: ct);
            if (r.GetValue(Json))
            {
                JsonOut.Write(response.Tokens.Select(t => JsonOut.Object(
                    ("name", t.Name), ("kind", t.Kind), ("present", t.Present), ("serial", t.Serial), ("firmware", t.Firmware), ("pin_retries", t.PinRetries),
                    ("admin_pin_retries", t.HasAdminPinRetries ? t.AdminPinRetries : -1), ("signature_counter", t.HasSignatureCounter ? t.SignatureCounter : -1),
                    ("hardware_backed", t.HardwareBacked), ("description", t.Description), ("error", t.Error))));
                return response.Tokens.All(t => t.Present) ? ExitCodes.Ok : ExitCodes.Unavailable;
            }

            foreach (var t in response.Tokens)
            {
                Console.Out.WriteLine(StatusLine(t));
            }

            return response.Tokens.All(t => t.Present) ? ExitCodes.Ok : ExitCodes.Unavailable;
        });
        return cmd;
    }

    /// <summary>
    /// One token's line of `keycustody status`. Serials, firmware, descriptions and errors come from the token (a label or
    /// a serial a device reports is its to choose): shown escaped, so a device cannot write terminal control sequences.
    /// </summary>
    internal static string StatusLine(TokenState t) => t.Present
        ? $"{Shown(t.Name)}\t{Shown(t.Kind)}\tpresent\tserial {Shown(t.Serial)}\tfirmware {(t.Firmware.Length > 0 ? Shown(t.Firmware) : "-")}\tPIN retries {(t.PinRetries >= 0 ? t.PinRetries.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}{CardCounters(t)}\t{Shown(t.Description)}"
        : $"{Shown(t.Name)}\t{Shown(t.Kind)}\tABSENT\t{Shown(t.Error)}";

    /// <summary>The admin PIN's attempts and the signature counter, for the cards that keep them (OpenPGP).</summary>
    private static string CardCounters(TokenState t) =>
        (t.HasAdminPinRetries ? $"\tadmin PIN retries {t.AdminPinRetries.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : string.Empty) +
        (t.HasSignatureCounter ? $"\tsignatures {t.SignatureCounter.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : string.Empty);

    private static Command Audit(Option<string> socket)
    {
        var audit = new Command("audit", "the daemon's hash-chained audit log");
        var file = new Argument<string>("FILE") { Description = "an audit log (audit.jsonl in the state directory)" };
        var verify = new Command("verify", "check the hash chain; names the first broken record (exit 1)") { file };
        verify.SetAction(r =>
        {
            AuditVerification result;
            try
            {
                using var stream = File.OpenRead(r.GetValue(file)!);
                result = AuditChain.Verify(stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read {r.GetValue(file)}: {e.Message}");
            }

            if (r.GetValue(Json))
            {
                JsonOut.Write(result.Valid
                    ? JsonOut.Object(("valid", true), ("records", result.Records), ("head", result.HeadHash!))
                    : JsonOut.Object(("valid", false), ("broken_line", result.BrokenLine ?? 0), ("broken_seq", result.BrokenSeq ?? 0), ("problem", result.Problem!)));
                return result.Valid ? ExitCodes.Ok : ExitCodes.No;
            }

            if (!result.Valid)
            {
                Console.Error.WriteLine($"broken: line {result.BrokenLine} (seq {result.BrokenSeq}): {result.Problem}");
                return ExitCodes.No;
            }

            Console.Out.WriteLine($"valid: {result.Records} records, head {result.HeadHash}");
            return ExitCodes.Ok;
        });
        var count = new Option<int>("-n") { Description = $"how many records, 1 to {MaxTail:N0} (and at most 64 MiB: the last that fit)", DefaultValueFactory = _ => 20 };
        var tail = new Command("tail", "the last records, from the daemon (needs the admin right)") { count };
        tail.SetAction(async (r, ct) =>
        {
            var n = r.GetValue(count);
            if (n is < 1 or > MaxTail)
            {
                throw new UsageException($"-n is how many records, 1 to {MaxTail:N0} (the most the daemon returns), not {n}");
            }

            using var client = Connect(r, socket);
            var response = await client.Admin.AuditTailAsync(new AuditTailRequest { Count = n }, cancellationToken: ct);
            using var output = CliIo.OpenOutput();
            foreach (var record in response.Records)
            {
                // As stored (so a script can check the hashes), but on a terminal with hidden characters as JSON escapes.
                if (Console.IsOutputRedirected)
                {
                    CliIo.WriteLine(output, record.Span);
                }
                else
                {
                    CliIo.WriteLine(output, DisplayText.EscapeJson(record.ToStringUtf8()));
                }
            }

            return ExitCodes.Ok;
        });
        audit.Subcommands.Add(verify);
        audit.Subcommands.Add(tail);
        return audit;
    }

    /// <summary>"simulator:10000001", "piv:12345678"; a software token's serial already names its kind ("software:/dir").</summary>
    internal static string TokenLabel(string kind, string serial) =>
        serial.StartsWith(kind + ":", StringComparison.Ordinal) ? serial : $"{kind}:{Dash(serial)}";

    /// <summary>An empty column (a key not generated yet has no public key or policies) as "-", so columns stay countable.</summary>
    private static string Dash(string value) => value.Length == 0 ? "-" : value;

    private static string Shown(string text) => DisplayText.Escape(text);

    private static int Say(string text)
    {
        Console.Out.WriteLine(text);
        return ExitCodes.Ok;
    }

    private static KeyCustodyClient Connect(ParseResult r, Option<string> socket) => DaemonSocket.Connect(DaemonSocket.Chosen(r, socket));
}
