using System.Net;
using System.Net.Http.Json;
using TinkerServer.Api.Contracts;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Tests.TrainingRuns;

public sealed class TrainingRunTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private readonly Seeder _seed = new(factory);

    [Fact]
    public async Task A_run_reports_its_newest_checkpoint_of_each_type()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "t1", age: TimeSpan.FromMinutes(9));
        await _seed.CompletedAsync(run, CheckpointType.Training, "t2", age: TimeSpan.FromMinutes(5));
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "s1", age: TimeSpan.FromMinutes(7));

        var dto = await _client.GetFromJsonAsync<TrainingRunDto>(Routes.TrainingRun(run), ApiClientExtensions.Json);

        dto!.TrainingRunId.Should().Be(run.Value);
        dto.BaseModel.Should().Be("tinker-tiny-qwen3");
        dto.IsLora.Should().BeTrue();
        dto.LoraRank.Should().Be(8);
        dto.ModelOwner.Should().NotBeNullOrEmpty();
        dto.LastCheckpoint!.CheckpointId.Should().Be("weights/t2");
        dto.LastSamplerCheckpoint!.CheckpointId.Should().Be("sampler_weights/s1");
    }

    [Fact]
    public async Task Unknown_run_is_404()
    {
        var response = await _client.GetAsync(Routes.TrainingRun("missing-run"));
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.DetailAsync()).Should().Contain("not found");
    }

    [Fact]
    public async Task Runs_are_listed_with_an_exact_cursor()
    {
        using var isolated = new TinkerApiFactory();
        var client = isolated.CreateClient();
        var seed = new Seeder(isolated);
        for (var i = 0; i < 3; i++)
        {
            await seed.RunAsync();
            isolated.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var page = await client.GetFromJsonAsync<TrainingRunsResponse>($"{Routes.TrainingRuns}?limit=2&offset=1", ApiClientExtensions.Json);

        page!.Cursor.Should().Be(new CursorDto(1, 2, 3));
        page.TrainingRuns.Should().HaveCount(2);
    }

    [Fact]
    public async Task Weights_info_answers_for_training_and_sampler_paths()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "w");
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "s");

        foreach (var path in new[] { $"tinker://{run}/weights/w", $"tinker://{run}/sampler_weights/s" })
        {
            var response = await _client.PostAsJsonAsync(Routes.WeightsInfo, new { tinker_path = path });
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var info = await response.ReadAsAsync<WeightsInfoResponse>();
            info.Should().Be(new WeightsInfoResponse("tinker-tiny-qwen3", true, 8, true, true, true));
        }

        (await _client.PostAsJsonAsync(Routes.WeightsInfo, new { tinker_path = "not-a-path" })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _client.PostAsJsonAsync(Routes.WeightsInfo, new { tinker_path = $"tinker://{run}/weights/none" })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _client.PostAsJsonAsync(Routes.WeightsInfo, new { })).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Malformed_json_is_a_422_with_a_body_never_an_empty_400()
    {
        using var content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        var response = await _client.PostAsync(Routes.WeightsInfo, content);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await response.DetailAsync()).Should().NotBeNullOrEmpty();
    }
}
