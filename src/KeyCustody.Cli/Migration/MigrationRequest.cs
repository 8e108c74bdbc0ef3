using KeyCustody.Cli.Provisioning;

namespace KeyCustody.Cli.Migration;

/// <summary>Everything <c>keycustody migrate</c> was asked to do, checked for form.</summary>
internal sealed record MigrationRequest(
    string UserId,
    string? MasterBackup,
    bool NoMasterBackup,
    bool ImportSigningKeys,
    bool Erase,
    IReadOnlyList<string> Contacts,
    bool ContactsFromRooms,
    KeyPolicies Master,
    KeyPolicies SelfSigning,
    KeyPolicies UserSigning,
    AttestationOptions Attestation);
