namespace KeyCustody.HomeserverSim.State;

/// <summary>Everything the simulator remembers; one lock (the simulator's) guards all of it.</summary>
internal sealed class SimState(string url)
{
    public string Url { get; } = url;

    public Accounts Accounts { get; } = new();

    public AccountDataStore AccountData { get; } = new();

    public KeyStore Keys { get; } = new();

    public Rooms Rooms { get; } = new();

    public Api.UserInteractiveAuth Uia { get; } = new(url);

    /// <summary>Failures in /keys/signatures/upload the spec's way (<c>errcode</c>, <c>error</c>) instead of Synapse's.</summary>
    public bool SpecStyleFailures { get; set; }
}
