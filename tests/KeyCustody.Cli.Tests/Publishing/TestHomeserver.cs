// The CLI tests talk to keycustody-homeserver-sim (homeserver-sim/), started in-process on a free loopback port:
// one simulator for the tests, the README's walk-through and CI users, rather than a test-only copy.
global using TestHomeserver = KeyCustody.HomeserverSim.HomeserverSimulator;
global using UiaStage = KeyCustody.HomeserverSim.UiaStage;
