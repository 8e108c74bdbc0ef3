using KeyCustody.Fuzz;
using KeyCustody.Fuzz.HwSim;

return FuzzDriver.Main(args, HwSimTarget.Run);
