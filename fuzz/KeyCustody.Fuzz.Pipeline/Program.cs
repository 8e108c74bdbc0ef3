using KeyCustody.Fuzz;
using KeyCustody.Fuzz.Pipeline;

return FuzzDriver.Main(args, PipelineTarget.Run);
