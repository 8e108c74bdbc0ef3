using System.Diagnostics;
using System.Text;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// matrix-org's own python-canonicaljson and python-signedjson (Debian packages, run with
/// /usr/bin/python3) as oracles: one process per batch, one JSON document per line in, one result
/// per line out ("error: &lt;exception type&gt;" when Python refuses the input).
/// </summary>
internal static class PythonOracle
{
    public const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys, json
        from canonicaljson import encode_canonical_json
        import signedjson.key, signedjson.sign
        mode = sys.argv[1]
        if mode == "sign":
            key = signedjson.key.decode_signing_key_base64("ed25519", sys.argv[4], sys.argv[2])
            entity = sys.argv[3]
        if mode == "verify":
            verify_key = signedjson.key.decode_verify_key_base64("ed25519", sys.argv[4], sys.argv[2])
            entity = sys.argv[3]
        out = sys.stdout.buffer
        for line in sys.stdin.buffer:
            line = line.rstrip(b"\n")
            try:
                obj = json.loads(line)
                if mode == "canon":
                    result = encode_canonical_json(obj)
                elif mode == "verify":
                    signedjson.sign.verify_signed_json(obj, entity, verify_key)
                    result = b"valid"
                else:
                    result = encode_canonical_json(signedjson.sign.sign_json(obj, entity, key))
                out.write(result + b"\n")
            except Exception as e:
                out.write(b"error: " + type(e).__name__.encode() + b"\n")
        out.flush()
        """;

    public static IReadOnlyList<byte[]> Canonicalize(IReadOnlyList<byte[]> documents) => Run(documents, "canon");

    public static IReadOnlyList<byte[]> Sign(IReadOnlyList<byte[]> documents, string seedBase64, string entity, string keyName) =>
        Run(documents, "sign", seedBase64, entity, keyName);

    /// <summary>python-signedjson's verify_signed_json: "valid" or "error: &lt;exception type&gt;" per document.</summary>
    public static IReadOnlyList<string> Verify(IReadOnlyList<byte[]> documents, string publicKeyBase64, string entity, string keyName) =>
        Run(documents, "verify", publicKeyBase64, entity, keyName).Select(Show).ToList();

    private static List<byte[]> Run(IReadOnlyList<byte[]> documents, params string[] args)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing; run ./test.sh, which installs python3-canonicaljson and python3-signedjson");
        }

        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdoutTask = Task.Run(() =>
        {
            using var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        });
        var stderrTask = p.StandardError.ReadToEndAsync();
        using (var stdin = p.StandardInput.BaseStream)
        {
            foreach (var doc in documents)
            {
                stdin.Write(doc);
                stdin.WriteByte((byte)'\n');
            }
        }

        var output = stdoutTask.GetAwaiter().GetResult();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"the Python oracle failed ({p.ExitCode}): {stderrTask.GetAwaiter().GetResult()}");
        }

        var lines = SplitLines(output);
        if (lines.Count != documents.Count)
        {
            throw new InvalidOperationException($"the Python oracle answered {lines.Count} lines for {documents.Count} documents");
        }

        return lines;
    }

    public static List<byte[]> SplitLines(byte[] output)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] == '\n')
            {
                lines.Add(output[start..i]);
                start = i + 1;
            }
        }

        if (start < output.Length)
        {
            lines.Add(output[start..]);
        }

        return lines;
    }

    public static string Show(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
