using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TinkerServer.Api.Contracts;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Tests.Checkpoints.ListCheckpoints;

public sealed class ListCheckpointsTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private readonly Seeder _seed = new(factory);

    [Fact]
    public async Task Run_listing_shows_completed_checkpoints_newest_first_with_every_field()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "old", size: 100, age: TimeSpan.FromMinutes(5));
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "new", size: 200, age: TimeSpan.FromMinutes(1));
        await _seed.PendingAsync(run, CheckpointType.Training, "pending");

        var response = await _client.GetAsync(Routes.RunCheckpoints(run));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var items = doc.RootElement.GetProperty("checkpoints").EnumerateArray().ToList();
        items.Should().HaveCount(2);
        var first = items[0];
        first.GetProperty("checkpoint_id").GetString().Should().Be("sampler_weights/new");
        first.GetProperty("checkpoint_type").GetString().Should().Be("sampler");
        first.GetProperty("tinker_path").GetString().Should().Be($"tinker://{run}/sampler_weights/new");
        first.GetProperty("size_bytes").GetInt64().Should().Be(200);
        first.GetProperty("public").GetBoolean().Should().BeFalse();
        first.GetProperty("expires_at").ValueKind.Should().Be(JsonValueKind.Null);
        first.GetProperty("training_run_id").GetString().Should().Be(run.Value);
        var time = first.GetProperty("time").GetString()!;
        (time.EndsWith('Z') || time.EndsWith("+00:00", StringComparison.Ordinal)).Should().BeTrue($"'{time}' must carry its UTC offset");
        DateTimeOffset.Parse(time).Should().Be(factory.Time.GetUtcNow() - TimeSpan.FromMinutes(1));
        items[1].GetProperty("checkpoint_id").GetString().Should().Be("weights/old");
        items[1].GetProperty("checkpoint_type").GetString().Should().Be("training");
    }

    [Fact]
    public async Task The_models_alias_lists_the_same_checkpoints()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "a");

        var alias = await _client.GetFromJsonAsync<CheckpointsListResponse>(Routes.ModelCheckpoints(run), ApiClientExtensions.Json);

        alias!.Checkpoints.Select(c => c.CheckpointId).Should().Equal(await _client.CheckpointIdsAsync(run));
    }

    [Fact]
    public async Task Unknown_run_is_404_and_invalid_run_is_422()
    {
        (await _client.GetAsync(Routes.RunCheckpoints("nobody"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _client.GetAsync(Routes.RunCheckpoints("bad.run"))).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Global_listing_pages_newest_first_with_an_exact_cursor()
    {
        using var isolated = new TinkerApiFactory();
        var client = isolated.CreateClient();
        var seed = new Seeder(isolated);
        var runA = await seed.RunAsync();
        var runB = await seed.RunAsync();
        for (var i = 0; i < 7; i++)
        {
            await seed.CompletedAsync(i % 2 == 0 ? runA : runB, CheckpointType.Training, $"c{i}", size: 10, age: TimeSpan.FromMinutes(100 - i));
        }

        var pages = new List<string>();
        for (var offset = 0; offset < 9; offset += 3)
        {
            var page = await client.GetFromJsonAsync<CheckpointsListResponse>($"{Routes.Checkpoints}?limit=3&offset={offset}", ApiClientExtensions.Json);
            page!.Cursor.Should().Be(new CursorDto(offset, 3, 7));
            pages.AddRange(page.Checkpoints.Select(c => c.CheckpointId));
        }

        pages.Should().Equal("weights/c6", "weights/c5", "weights/c4", "weights/c3", "weights/c2", "weights/c1", "weights/c0");

        var clampedLow = await client.GetFromJsonAsync<CheckpointsListResponse>($"{Routes.Checkpoints}?limit=0", ApiClientExtensions.Json);
        clampedLow!.Cursor!.Limit.Should().Be(1);
        clampedLow.Checkpoints.Should().ContainSingle();
        var clampedHigh = await client.GetFromJsonAsync<CheckpointsListResponse>($"{Routes.Checkpoints}?limit=5000", ApiClientExtensions.Json);
        clampedHigh!.Cursor!.Limit.Should().Be(1000);
        clampedHigh.Checkpoints.Should().HaveCount(7);
        (await client.GetAsync($"{Routes.Checkpoints}?offset=-1")).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{Routes.Checkpoints}?limit=abc")).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Expired_checkpoints_disappear_from_listings()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "kept");
        var path = new CheckpointPath(run, CheckpointType.Training, CheckpointName.Parse("kept"));
        await factory.WithScopeAsync(async sp =>
        {
            var repo = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<Application.Abstractions.Persistence.ICheckpointRepository>(sp);
            var checkpoint = await repo.FindAsync(path, CancellationToken.None);
            checkpoint!.SetTtl(60, factory.Time.GetUtcNow());
            await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<Application.Abstractions.Persistence.IUnitOfWork>(sp).SaveChangesAsync(CancellationToken.None);
        });

        (await _client.CheckpointIdsAsync(run)).Should().Equal("weights/kept");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        (await _client.CheckpointIdsAsync(run)).Should().BeEmpty();
    }
}
