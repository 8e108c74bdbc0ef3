using KeyCustody.HwSim.Transport;

namespace KeyCustody.HwSim.Control;

/// <summary>A card the running simulator serves, with the vpcd slot it sits in (if any).</summary>
public sealed record SimulatedCard(VirtualCard Card, VpcdTransport? Vpcd);
