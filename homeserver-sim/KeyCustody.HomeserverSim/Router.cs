using KeyCustody.HomeserverSim.Api;
using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim;

/// <summary>
/// One request to one answer. Client-server API calls need <c>Authorization: Bearer</c> (like Synapse, the
/// <c>?access_token=</c> query parameter is not read here, so a client relying on it fails).
/// </summary>
internal sealed class Router(SimState state)
{
    private const string ClientApi = "/_matrix/client/v3/";

    private readonly Dictionary<(string, string), Dictionary<string, int>> _oneTimeKeys = [];

    public Answer Route(RecordedRequest request, string? session)
    {
        if (request.Method == "GET" && request.Path == UserInteractiveAuth.ApprovalPath)
        {
            return state.Uia.Approve(session);
        }

        if (request.Method == "GET" && request.Path == "/_matrix/client/versions")
        {
            return Answer.Ok(JsonObject.Of(("versions", new JsonArray("v1.11", "v1.12"))));
        }

        if (request.Method == "POST" && request.Path == ControlApi.Prefix + "register")
        {
            return Parse(request, out var json) ?? ControlApi.Register(state, json!);
        }

        if (request.Method == "POST" && request.Path == ControlApi.Prefix + "rooms")
        {
            return Parse(request, out var json) ?? ControlApi.CreateRoom(state, json!);
        }

        if (!request.Path.StartsWith(ClientApi, StringComparison.Ordinal))
        {
            return MatrixError.Unrecognized();
        }

        if (request.Authorization is not { } header || !header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return MatrixError.Of(401, "M_MISSING_TOKEN", "Missing access token.");
        }

        if (state.Accounts.Resolve(header["Bearer ".Length..]) is not { } who)
        {
            return MatrixError.Of(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.");
        }

        var path = request.Path[ClientApi.Length..];
        var segments = path.Split('/');
        if (segments is ["user", var userSegment, "account_data", var typeSegment])
        {
            var (user, type) = (Uri.UnescapeDataString(userSegment), Uri.UnescapeDataString(typeSegment));
            return request.Method switch
            {
                "GET" => AccountDataApi.Get(state, who.User, user, type),
                "PUT" => Parse(request, out var content) ?? AccountDataApi.Put(state, who.User, user, type, content!),
                _ => MatrixError.Unrecognized(),
            };
        }

        if (request.Method == "GET" && path == "joined_rooms")
        {
            return RoomsApi.JoinedRooms(state, who.User);
        }

        if (request.Method == "GET" && segments is ["rooms", var room, "joined_members"])
        {
            return RoomsApi.JoinedMembers(state, who.User, Uri.UnescapeDataString(room));
        }

        if (request.Method != "POST")
        {
            return MatrixError.Unrecognized();
        }

        if (Parse(request, out var body) is { } bad)
        {
            return bad;
        }

        return path switch
        {
            "keys/query" => KeysQueryApi.Query(state, who.User, body!),
            "keys/upload" => KeysUploadApi.Upload(state, who.User, who.Device, body!, _oneTimeKeys),
            "keys/device_signing/upload" => DeviceSigningUploadApi.Upload(state, who.User, body!),
            "keys/signatures/upload" => SignaturesUploadApi.Upload(state, who.User, body!),
            _ => MatrixError.Unrecognized(),
        };
    }

    private static Answer? Parse(RecordedRequest request, out JsonObject? json)
    {
        try
        {
            json = request.Json;
            return null;
        }
        catch (FormatException)
        {
            json = null;
            return MatrixError.NotJson();
        }
    }
}
