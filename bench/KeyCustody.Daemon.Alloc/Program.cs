using KeyCustody.Daemon.Alloc;
using KeyCustody.Protos.V1;

// Bytes allocated per object on the batch signing path (deterministic: allocation does not depend on the machine's
// load). Usage: dotnet bench/KeyCustody.Daemon.Alloc/bin/Release/net10.0/KeyCustody.Daemon.Alloc.dll [--batches N]
var batches = args.Length == 2 && args[0] == "--batches" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20;
using var world = AllocWorld.Create();
var request = new SignJsonBatchRequest { Key = AllocWorld.KeyName };
request.Json.AddRange(KeyCustody.Daemon.Bench.Devices.Create(1000).Select(Google.Protobuf.ByteString.CopyFrom));
var message = Google.Protobuf.MessageExtensions.ToByteArray(request);
var call = new BatchCall(world, message);

// Warm up (tiering, pools, the first records), then whole calls one after the other.
for (var i = 0; i < 5; i++)
{
    await call.RunAsync();
}

var gen2 = GC.CollectionCount(2);
var before = GC.GetTotalAllocatedBytes(precise: true);
var signed = 0;
for (var i = 0; i < batches; i++)
{
    signed += await call.RunAsync();
}

var total = GC.GetTotalAllocatedBytes(precise: true) - before;
Console.WriteLine($"whole call: {batches} batches of {call.Objects} ({message.Length} bytes a message): {total / (double)signed:F0} bytes per object, {total / (double)batches / 1024:F0} KiB per batch; gen2 collections {GC.CollectionCount(2) - gen2}");

// Each step alone (the last of three rounds, warmed up).
List<(string Step, long Bytes)> steps = [];
for (var i = 0; i < 3; i++)
{
    steps = new Steps(world, message).Measure();
}

Console.WriteLine("each step alone, bytes per object:");
foreach (var (step, bytes) in steps)
{
    Console.WriteLine($"{bytes / (double)call.Objects,10:F0}  {step}");
}
