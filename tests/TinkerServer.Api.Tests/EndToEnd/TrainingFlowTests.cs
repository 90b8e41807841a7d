using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using TinkerServer.Api.Tests.Infrastructure;

namespace TinkerServer.Api.Tests.EndToEnd;

/// <summary>The SDK's whole journey through the in-memory host on the built-in tiny base model.</summary>
public sealed class TrainingFlowTests(EngineApiFactory factory) : IClassFixture<EngineApiFactory>
{
    private readonly TinkerTestClient _api = new(factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));

    [Fact]
    public async Task Train_save_list_sample_reload_download_and_delete()
    {
        var session = await _api.CreateSessionAsync();
        var baseModel = await _api.BaseModelAsync();
        var model = await _api.CreateModelAsync(session, 0, baseModel);
        model.Should().Be($"{session}:train:0");

        // Train one step, saving the state before the step.
        var before = await _api.ResultAsync(await _api.ForwardBackwardAsync(model, 1));
        var lossBefore = TinkerTestClient.LossSum(before);
        before.GetProperty("loss_fn_outputs").GetArrayLength().Should().Be(2);
        var saved = await _api.ResultAsync(await _api.PostAsync("/api/v1/save_weights",
            new { model_id = model, path = "pre", seq_id = 2, overwrite = false, type = "save_weights" }));
        saved.GetProperty("path").GetString().Should().Be($"tinker://{model}/weights/pre");
        await _api.ResultAsync(await _api.OptimStepAsync(model, 3));
        var after = TinkerTestClient.LossSum(await _api.ResultAsync(await _api.ForwardBackwardAsync(model, 4, forwardOnly: true)));
        after.Should().BeLessThan(lossBefore, "one Adam step on the batch lowers its loss");

        // The saved checkpoint is listed with its size.
        var listed = await _api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/training_runs/{model}/checkpoints");
        var pre = listed.GetProperty("checkpoints").EnumerateArray().Single(c => c.GetProperty("checkpoint_id").GetString() == "weights/pre");
        pre.GetProperty("size_bytes").GetInt64().Should().BeGreaterThan(0);

        // A persistent sampler checkpoint, sampled from.
        var sampler = await _api.ResultAsync(await _api.PostAsync("/api/v1/save_weights_for_sampler",
            new { model_id = model, path = "s1", seq_id = 5, type = "save_weights_for_sampler" }));
        var samplerPath = sampler.GetProperty("path").GetString();
        samplerPath.Should().Be($"tinker://{model}/sampler_weights/s1");
        var samplingSession = (await _api.PostAsync("/api/v1/create_sampling_session",
            new { session_id = session, sampling_session_seq_id = 0, model_path = samplerPath, type = "create_sampling_session" }))
            .GetProperty("sampling_session_id").GetString()!;
        var sample = await _api.ResultAsync(await _api.PostAsync("/api/v1/asample", new
        {
            sampling_session_id = samplingSession,
            seq_id = 0,
            prompt = new { chunks = new[] { new { type = "encoded_text", tokens = new[] { 1, 5, 9 } } } },
            num_samples = 2,
            sampling_params = new { max_tokens = 4, temperature = 0.0, seed = 3 },
            prompt_logprobs = true,
            topk_prompt_logprobs = 2,
            type = "sample",
        }));
        var sequences = sample.GetProperty("sequences").EnumerateArray().ToList();
        sequences.Should().HaveCount(2);
        sequences.Should().OnlyContain(s => s.GetProperty("tokens").GetArrayLength() == 4 && s.GetProperty("logprobs").GetArrayLength() == 4);
        sample.GetProperty("prompt_logprobs")[0].ValueKind.Should().Be(JsonValueKind.Null);

        // A second model loads the pre-step checkpoint as its first request and reproduces the pre-step loss.
        var second = await _api.CreateModelAsync(session, 1, baseModel);
        await _api.ResultAsync(await _api.PostAsync("/api/v1/load_weights",
            new { model_id = second, path = $"tinker://{model}/weights/pre", seq_id = 1, optimizer = true, type = "load_weights" }));
        var reloaded = TinkerTestClient.LossSum(await _api.ResultAsync(await _api.ForwardBackwardAsync(second, 2, forwardOnly: true)));
        reloaded.Should().Be(lossBefore);

        // Both archives download and hold what they should.
        (await ArchiveEntriesAsync(model, "weights/pre")).Should().Contain(["adapter_model.safetensors", "adapter_config.json"]);
        (await ArchiveEntriesAsync(model, "sampler_weights/s1")).Should().Contain(["adapter_model.safetensors", "adapter_config.json", "checkpoint_complete"]);

        // Delete: gone from disk and listings while the model keeps training.
        (await _api.Http.DeleteAsync($"/api/v1/training_runs/{model}/checkpoints/weights/pre")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var remaining = await _api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/training_runs/{model}/checkpoints");
        remaining.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("checkpoint_id").GetString()).Should().Equal("sampler_weights/s1");
        Directory.EnumerateFiles(factory.CheckpointRoot, "pre.tar.gz", SearchOption.AllDirectories).Should().BeEmpty();
        await _api.ResultAsync(await _api.ForwardBackwardAsync(model, 6));
    }

    [Fact]
    public async Task A_retried_request_gets_its_original_future_and_a_reused_seq_with_another_body_is_409()
    {
        var session = await _api.CreateSessionAsync();
        var model = await _api.CreateModelAsync(session, 0, await _api.BaseModelAsync());

        var first = await _api.ForwardBackwardAsync(model, 1);
        var retry = await _api.ForwardBackwardAsync(model, 1);
        retry.GetProperty("request_id").GetString().Should().Be(first.GetProperty("request_id").GetString());

        var save = new { model_id = model, path = "once", seq_id = 2, overwrite = false, type = "save_weights" };
        var saveFirst = await _api.PostAsync("/api/v1/save_weights", save);
        await _api.ResultAsync(saveFirst);
        var saveRetry = await _api.PostAsync("/api/v1/save_weights", save);
        saveRetry.GetProperty("request_id").GetString().Should().Be(saveFirst.GetProperty("request_id").GetString(),
            "a retried save must not turn into 'already exists'");

        var conflict = await _api.Http.PostAsJsonAsync("/api/v1/optim_step", new { model_id = model, seq_id = 1, adam_params = new { learning_rate = 0.1 } });
        conflict.StatusCode.Should().Be(HttpStatusCode.Conflict);
        conflict.Headers.GetValues("x-should-retry").Should().Equal("false");
    }

    [Fact]
    public async Task Load_weights_is_only_allowed_as_the_first_request_but_its_retry_is_fine()
    {
        var session = await _api.CreateSessionAsync();
        var baseModel = await _api.BaseModelAsync();
        var source = await _api.CreateModelAsync(session, 0, baseModel);
        await _api.ResultAsync(await _api.PostAsync("/api/v1/save_weights", new { model_id = source, path = "w", seq_id = 1, overwrite = false }));

        var target = await _api.CreateModelAsync(session, 1, baseModel);
        var load = new { model_id = target, path = $"tinker://{source}/weights/w", seq_id = 1, optimizer = false };
        var first = await _api.PostAsync("/api/v1/load_weights", load);
        (await _api.PostAsync("/api/v1/load_weights", load)).GetProperty("request_id").GetString()
            .Should().Be(first.GetProperty("request_id").GetString());
        await _api.ResultAsync(first);

        var late = await _api.Http.PostAsJsonAsync("/api/v1/load_weights", load with { seq_id = 2 });
        late.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await late.DetailAsync()).Should().Contain("LoadWeights is not permitted with seq_id 2");
    }

    [Fact]
    public async Task A_save_under_an_existing_name_fails_its_future_as_a_user_error_not_a_409()
    {
        var session = await _api.CreateSessionAsync();
        var model = await _api.CreateModelAsync(session, 0, await _api.BaseModelAsync());
        await _api.ResultAsync(await _api.PostAsync("/api/v1/save_weights", new { model_id = model, path = "dup", seq_id = 1, overwrite = false }));

        var handle = await _api.PostAsync("/api/v1/save_weights", new { model_id = model, path = "dup", seq_id = 2, overwrite = false });
        var outcome = await _api.OutcomeAsync(handle.GetProperty("request_id").GetString()!);

        outcome.GetProperty("error").GetString().Should().Contain("already exists");
        outcome.GetProperty("category").GetString().Should().Be("user");

        var overwritten = await _api.ResultAsync(await _api.PostAsync("/api/v1/save_weights", new { model_id = model, path = "dup", seq_id = 3, overwrite = true }));
        overwritten.GetProperty("path").GetString().Should().EndWith("/weights/dup");
    }

    [Fact]
    public async Task Retrieve_future_holds_then_answers_408_with_try_again_for_a_request_that_cannot_run_yet()
    {
        var session = await _api.CreateSessionAsync();
        var model = await _api.CreateModelAsync(session, 0, await _api.BaseModelAsync());
        // seq 5 waits for seqs 1-4, which never come (within the hold time).
        var held = await _api.ForwardBackwardAsync(model, 5);

        var started = DateTime.UtcNow;
        var response = await _api.Http.PostAsJsonAsync("/api/v1/retrieve_future", new { request_id = held.GetProperty("request_id").GetString() });

        response.StatusCode.Should().Be(HttpStatusCode.RequestTimeout);
        (DateTime.UtcNow - started).Should().BeGreaterThan(TimeSpan.FromSeconds(1.5), "the poll is held, not answered at once");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("type").GetString().Should().Be("try_again");
        body.GetProperty("request_id").GetString().Should().Be(held.GetProperty("request_id").GetString());
        (await _api.Http.PostAsJsonAsync("/api/v1/retrieve_future", new { request_id = "req_unknown" })).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private async Task<IReadOnlyList<string>> ArchiveEntriesAsync(string model, string checkpointId)
    {
        var redirect = await _api.Http.GetAsync($"/api/v1/training_runs/{model}/checkpoints/{checkpointId}/archive");
        redirect.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var bytes = await _api.Http.GetByteArrayAsync(redirect.Headers.Location);
        Stream stream = new MemoryStream(bytes);
        if (bytes is [0x1f, 0x8b, ..])
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        var names = new List<string>();
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                names.Add(entry.Name.TrimStart('.', '/'));
            }
        }

        return names;
    }
}
