using System.Globalization;
using Grpc.Core;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// One fault-and-load run end to end: the rig, the clients and the fault driver for <see cref="FaultOptions.Duration"/>,
/// then every key must sign again (recovery), the clients stop, the audit log settles, and everything is checked.
/// The CI test (FaultLoadTests) and the long run (bench/run-faults.sh, the same test with a longer duration).
/// </summary>
internal static class FaultRun
{
    public static async Task<FaultReport> RunAsync(FaultOptions options, string root, Action<string> log)
    {
        log($"fault run: {options.Duration.TotalSeconds:0} s, {options.Signers} signers, seed {options.Seed}, in {root}");
        var violations = new List<string>();
        await using var rig = await FaultRig.StartAsync(root);
        log("rig up: pcscd + vpcd, keycustody-hwsim (2 cards), SoftHSM2, keycustodyd; keys generated");
        var ledger = new CallLedger();
        var clients = new LoadClients(rig, ledger, options);
        var driver = new FaultDriver(rig, options);
        var sampler = new ResourceSampler(rig.Daemon);
        var stopClients = new StopFlag();
        using var stopSampler = new CancellationTokenSource();
        var started = DateTime.UtcNow;
        var sampling = sampler.RunAsync(stopSampler.Token);
        var load = clients.RunAsync(stopClients);
        await driver.RunAsync(started + options.Duration, started + (options.Duration * (1 - options.QuietTailShare)), log);

        // Every key must sign again once the last fault is undone: nothing may stay stuck.
        var lastFault = driver.Events.Count == 0 ? started : driver.Events.Max(e => e.Ended);
        var recoveredBy = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        foreach (var key in FaultRig.Keys)
        {
            while (!ledger.Calls.Any(c => c.Key == key.Name && c.Signed && c.Started > lastFault) && DateTime.UtcNow < recoveredBy && !load.IsCompleted)
            {
                await Task.Delay(200);
            }

            if (!ledger.Calls.Any(c => c.Key == key.Name && c.Signed && c.Started > lastFault))
            {
                var errors = ledger.Calls.Where(c => c.Key == key.Name && c.Started > lastFault && c.Status is not null).TakeLast(3).Select(c => $"{c.Status}: {c.Detail}");
                violations.Add($"{key.Name} did not sign again within 120 s after the last fault was undone; last errors: {string.Join(" | ", errors)}");
            }
        }

        stopClients.Set();
        if (await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(120))) != load)
        {
            violations.Add("the clients did not finish their last calls within 120 s of being stopped");
        }

        var elapsed = DateTime.UtcNow - started;
        await SettleAsync(rig.AuditLog, violations);
        await stopSampler.CancelAsync();
        await sampling;
        rig.Daemon.Stop();
        log($"load stopped after {elapsed.TotalSeconds:0} s: {ledger.Calls.Count} calls, {driver.Events.Count} faults; checking");

        violations.AddRange(ledger.Violations);
        var me = "uid:" + FaultNative.Uid().ToString(CultureInfo.InvariantCulture);
        var audit = AuditChecks.Check(rig.AuditLog, ledger.Calls, driver.Events, rig.Daemon.Starts, me, violations.Add);
        var pythonChecked = CheckWithPython(rig, ledger, violations);
        CheckResources(sampler.Samples, options, violations);
        CheckDaemonOutput(rig.Daemon.OutputFile, violations);
        var logLines = CheckNoSecretsOrPayloads(rig, violations);
        foreach (var call in ledger.Calls.Where(c => c.Kind is not (CallKind.Denied or CallKind.Refused)))
        {
            // A valid request by an entitled caller is never blamed on the caller, and only the operator denies.
            var denied = call.Status == StatusCode.PermissionDenied && !(call.Key == "carol-ssk" && call.Detail?.Contains("was denied by", StringComparison.Ordinal) == true);
            if (denied || call.Status is StatusCode.InvalidArgument or StatusCode.Internal or StatusCode.Unknown)
            {
                violations.Add($"{call.Key}: a valid request by an entitled caller got {call.Status} ({call.Detail})");
            }
        }

        return new FaultReport
        {
            Options = options,
            Elapsed = elapsed,
            Calls = ledger.Calls,
            Verified = ledger.Verified,
            PythonChecked = pythonChecked,
            Faults = driver.Events,
            Cancels = clients.Cancels,
            Disconnects = clients.Disconnects,
            OperatorApprovals = clients.Approvals,
            Audit = audit,
            Resources = sampler.Samples,
            Violations = violations,
            LogLinesSearched = logLines,
        };
    }

    /// <summary>Cancelled calls get their outcome a moment after the client has gone: wait until no intent is open.</summary>
    private static async Task SettleAsync(string auditPath, List<string> violations)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var open = OpenIntents(auditPath);
            if (open == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                violations.Add($"{open} intents still had no outcome 60 s after the clients stopped");
                return;
            }

            await Task.Delay(250);
        }
    }

    private static int OpenIntents(string auditPath)
    {
        using var stream = new FileStream(auditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in AuditChain.ReadLines(stream, out _))
        {
            var r = CanonicalJson.ParseObject(line);
            if (r.GetString("request_id") is { } id)
            {
                _ = r.GetString("kind") switch
                {
                    "intent" => open.Add(id),
                    "outcome" => open.Remove(id),
                    _ => false,
                };
            }
        }

        return open.Count;
    }

    /// <summary>matrix-org's python-signedjson on a sample of what the clients received (KeyCustody.Matrix checked all of it).</summary>
    private static int CheckWithPython(FaultRig rig, CallLedger ledger, List<string> violations)
    {
        var total = 0;
        foreach (var group in ledger.Samples().GroupBy(s => s.Key))
        {
            var key = FaultRig.Keys.Single(k => k.Name == group.Key);
            var publicKey = rig.PublicKeys[key.Name];
            var keyName = SignatureCheck.KeyId(key, publicKey)["ed25519:".Length..];
            var documents = group.Select(s => s.SignedJson).ToList();
            var verdicts = PythonOracle.Verify(documents, publicKey.Base64, key.Owner, keyName);
            for (var i = 0; i < verdicts.Count; i++)
            {
                if (verdicts[i] != "valid")
                {
                    violations.Add($"python-signedjson: {key.Name} signature {i} of the sample: {verdicts[i]}");
                }
            }

            total += verdicts.Count;
        }

        return total;
    }

    /// <summary>
    /// A generous ceiling at every sample, and no trend within the last daemon process (the one that lived through
    /// the quiet tail): its last third may not exceed its first third by more than half plus 64 MiB of memory, or
    /// by more than 32 descriptors. The first 10 s after a start (JIT, pools filling) are not compared.
    /// </summary>
    private static void CheckResources(IReadOnlyList<ResourceSample> samples, FaultOptions options, List<string> violations)
    {
        if (samples.Count == 0)
        {
            violations.Add("no memory or descriptor sample of the daemon was taken");
            return;
        }

        var worstRss = samples.MaxBy(s => s.RssBytes)!;
        if (worstRss.RssBytes > options.MaxRssBytes)
        {
            violations.Add($"daemon VmRSS reached {worstRss.RssBytes / 1048576} MiB (ceiling {options.MaxRssBytes / 1048576} MiB)");
        }

        var worstFds = samples.MaxBy(s => s.Fds)!;
        if (worstFds.Fds > options.MaxFds)
        {
            violations.Add($"daemon had {worstFds.Fds} open descriptors (ceiling {options.MaxFds})");
        }

        var last = samples.Where(s => s.Start == samples[^1].Start && s.SinceStart >= TimeSpan.FromSeconds(10)).ToList();
        if (last.Count >= 9)
        {
            var third = last.Count / 3;
            var (early, late) = (last.Take(third).ToList(), last.TakeLast(third).ToList());
            if (late.Max(s => s.RssBytes) > (early.Max(s => s.RssBytes) * 1.5) + (64 * 1048576))
            {
                violations.Add($"daemon memory grew within one process: {early.Max(s => s.RssBytes) / 1048576} MiB early, {late.Max(s => s.RssBytes) / 1048576} MiB late");
            }

            if (late.Max(s => s.Fds) > early.Max(s => s.Fds) + 32)
            {
                violations.Add($"daemon descriptors grew within one process: {early.Max(s => s.Fds)} early, {late.Max(s => s.Fds)} late");
            }
        }
    }

    /// <summary>
    /// Every line the daemon wrote in the run (all its processes) and every audit record, searched for the card PIN,
    /// the HSM PIN, the management key and the payloads' content: a field only payloads carry ("fault_run") and the
    /// unique device and request ids every signed object carries. The audit record's "intent" and "reason" are the
    /// exception by design: they say what was signed or refused ("sign device X of @alice:example.org with the
    /// self-signing key"), which is what an auditor needs; the operational log gets the rule and the hash only.
    /// Returns how many lines were searched.
    /// </summary>
    private static int CheckNoSecretsOrPayloads(FaultRig rig, List<string> violations)
    {
        var secrets = new (string Needle, string What)[]
        {
            (FaultRig.CardPin, "the card PIN"),
            (HsmToken.Pin, "the HSM PIN"),
            (FaultRig.ManagementKey, "the management key"),
            ("fault_run", "a payload's field"),
        };
        var payloadId = new System.Text.RegularExpressions.Regex("FL[0-9]{2}X[0-9]{7}", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var lines = 0;
        foreach (var (file, what) in new[] { (rig.Daemon.OutputFile, "daemon output"), (rig.AuditLog, "audit log") })
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                lines++;
                foreach (var (needle, name) in secrets)
                {
                    if (line.Contains(needle, StringComparison.OrdinalIgnoreCase))
                    {
                        violations.Add($"{what} carries {name}: {line}");
                    }
                }

                var searched = line;
                if (what == "audit log" && line.StartsWith('{'))
                {
                    var record = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
                    record.Remove("intent");
                    record.Remove("reason");
                    searched = record.ToJsonString();
                }

                if (payloadId.Match(searched) is { Success: true } m)
                {
                    violations.Add($"{what} carries a payload's device or request id {m.Value} outside an intent or reason: {line}");
                }
            }
        }

        return lines;
    }

    /// <summary>A fatal log line or an unhandled exception in the daemon's output is a failure of the run.</summary>
    private static void CheckDaemonOutput(string outputFile, List<string> violations)
    {
        foreach (var line in File.ReadLines(outputFile))
        {
            if (line.Contains(" FTL ", StringComparison.Ordinal) || line.Contains("Unhandled exception", StringComparison.Ordinal))
            {
                violations.Add("daemon output: " + line);
            }
        }
    }
}
