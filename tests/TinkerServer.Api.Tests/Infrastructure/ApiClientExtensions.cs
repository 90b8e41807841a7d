using System.Net.Http.Json;
using System.Text.Json;
using TinkerServer.Api.Contracts;

namespace TinkerServer.Api.Tests.Infrastructure;

public static class ApiClientExtensions
{
    public static readonly JsonSerializerOptions Json = ApiJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static async Task<T> ReadAsAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json))!;

    public static async Task<string> DetailAsync(this HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("detail").GetString()!;
    }

    public static async Task<IReadOnlyList<string>> CheckpointIdsAsync(this HttpClient client, object run)
    {
        var list = await client.GetFromJsonAsync<CheckpointsListResponse>(Routes.RunCheckpoints(run), Json);
        return list!.Checkpoints.Select(c => c.CheckpointId).ToList();
    }

    public static async Task<IReadOnlyList<CheckpointDto>> AllCheckpointsAsync(this HttpClient client)
    {
        var list = await client.GetFromJsonAsync<CheckpointsListResponse>($"{Routes.Checkpoints}?limit=1000", Json);
        return list!.Checkpoints;
    }
}
