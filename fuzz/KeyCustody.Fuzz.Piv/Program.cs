using KeyCustody.Fuzz;
using KeyCustody.Fuzz.Piv;

return FuzzDriver.Main(args, PivTarget.Run, SeedRecorder.Write);
