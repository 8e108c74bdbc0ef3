using KeyCustody.Fuzz;
using KeyCustody.Fuzz.Json;

return FuzzDriver.Main(args, JsonTarget.Run);
