using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Engine;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Tests.Engine;

public sealed class RequestExecutorTests
{
    private static readonly SessionId Session = SessionId.Parse("sess");
    private static readonly TrainingRunId Model = TrainingRunId.Parse("sess:train:0");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeBackend _backend = new();
    private readonly FakeStorage _storage = new();
    private readonly FakeCheckpoints _checkpoints = new();
    private readonly FakeRuns _runs = new();
    private readonly FakeSamplers _samplers = new();
    private readonly RequestExecutor _executor;
    private int _next;

    public RequestExecutorTests()
    {
        _executor = new RequestExecutor(_backend, _storage, _checkpoints, _runs, _samplers, _time, NullLogger<RequestExecutor>.Instance);
        _runs.Add(TrainingRun.Create(Model, Session, "tiny", LoraConfig.Create(4, 7), "owner", _time.GetUtcNow()));
    }

    [Fact]
    public async Task Create_model_creates_the_adapter_and_answers_the_model_id()
    {
        var request = Claimed(RequestKind.CreateModel, new CreateModelPayload("tiny", LoraConfig.Create(8, 3)));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        _backend.Created[Model].Lora.Rank.Should().Be(8);
        Json(request).GetProperty("model_id").GetString().Should().Be(Model.Value);
        Json(request).GetProperty("type").GetString().Should().Be("create_model");
    }

    [Fact]
    public async Task A_forward_backward_batch_gives_each_request_its_own_outputs_and_metrics_in_order()
    {
        _backend.Models.Add(Model);
        var first = Claimed(RequestKind.ForwardBackward, FwdBwd([1, 2], [3]), seq: 1);
        var second = Claimed(RequestKind.ForwardBackward, FwdBwd([4, 5, 6]), seq: 2);
        var third = Claimed(RequestKind.ForwardBackward, FwdBwd([7], [8], [9]), seq: 3);

        await _executor.ExecuteAsync([first, second, third], default);

        new[] { first, second, third }.Should().OnlyContain(r => r.Status == FutureStatus.Completed);
        Logprobs(first).Should().BeEquivalentTo(new[] { new[] { 1f, 2f }, [3f] }, o => o.WithStrictOrdering());
        Logprobs(second).Should().BeEquivalentTo(new[] { new[] { 4f, 5f, 6f } }, o => o.WithStrictOrdering());
        Logprobs(third).Should().BeEquivalentTo(new[] { new[] { 7f }, [8f], [9f] }, o => o.WithStrictOrdering());

        // loss:sum counts the tokens of the request's own datums, not of the whole batch.
        Metric(first, "loss:sum").Should().Be(3);
        Metric(second, "loss:sum").Should().Be(3);
        Metric(third, "loss:sum").Should().Be(3);
        _backend.Calls.Should().Equal($"forward_backward {Model} n=2", $"forward_backward {Model} n=1", $"forward_backward {Model} n=3");
    }

    [Fact]
    public async Task A_bad_request_in_a_batch_fails_alone_as_a_user_error()
    {
        _backend.Models.Add(Model);
        _backend.PoisonToken = 666;
        var first = Claimed(RequestKind.Forward, FwdBwd([1]), seq: 1);
        var bad = Claimed(RequestKind.Forward, FwdBwd([666]), seq: 2);
        var third = Claimed(RequestKind.Forward, FwdBwd([3]), seq: 3);

        await _executor.ExecuteAsync([first, bad, third], default);

        first.Status.Should().Be(FutureStatus.Completed);
        third.Status.Should().Be(FutureStatus.Completed);
        bad.Status.Should().Be(FutureStatus.Failed);
        bad.ErrorCategory.Should().Be(FailureCategory.User);
        bad.Error.Should().Contain("666");
        _backend.Calls.Should().Equal($"forward {Model} n=1", $"forward {Model} n=1", $"forward {Model} n=1");
    }

    [Fact]
    public async Task Optim_step_answers_the_backend_metrics()
    {
        _backend.Models.Add(Model);
        var request = Claimed(RequestKind.OptimStep, new OptimStepPayload(new AdamParams(LearningRate: 0.25)));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        Metric(request, "lr:mean").Should().Be(0.25);
    }

    [Fact]
    public async Task An_unexpected_backend_error_is_a_server_failure_that_does_not_leak_its_message()
    {
        _backend.Models.Add(Model);
        _backend.OptimFailure = new InvalidOperationException("secret /var/lib/internal detail");
        var request = Claimed(RequestKind.OptimStep, new OptimStepPayload(new AdamParams()));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Failed);
        request.ErrorCategory.Should().Be(FailureCategory.Server);
        request.Error.Should().NotContain("secret").And.Contain(request.Id);
    }

    [Fact]
    public async Task Training_on_a_model_that_is_not_loaded_is_a_user_error()
    {
        var request = Claimed(RequestKind.ForwardBackward, FwdBwd([1]), seq: 1);

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Failed);
        request.ErrorCategory.Should().Be(FailureCategory.User);
        request.Error.Should().Contain("not loaded");
    }

    [Fact]
    public async Task Save_weights_commits_the_artifact_and_completes_the_pending_checkpoint_with_its_size()
    {
        _backend.Models.Add(Model);
        var checkpoint = PendingCheckpoint(CheckpointType.Training, "step1");
        var request = Claimed(RequestKind.SaveWeights, new SaveWeightsPayload("step1", false, 3600), seq: 4);
        _time.Advance(TimeSpan.FromSeconds(5));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        Json(request).GetProperty("path").GetString().Should().Be($"tinker://{Model}/weights/step1");
        var bytes = _storage.Artifacts[checkpoint.Path];
        Encoding.UTF8.GetString(bytes).Should().Be($"training-checkpoint-of-{Model}");
        checkpoint.Status.Should().Be(CheckpointStatus.Completed);
        checkpoint.SizeBytes.Should().Be(bytes.Length);
        checkpoint.CompletedAt.Should().Be(_time.GetUtcNow());
        checkpoint.ExpiresAt.Should().Be(_time.GetUtcNow().AddHours(1));
        _storage.OpenStaged.Should().Be(0);
    }

    [Fact]
    public async Task A_failed_save_fails_the_checkpoint_and_publishes_nothing()
    {
        _backend.Models.Add(Model);
        _backend.SaveFailure = new IOException("disk full");
        var checkpoint = PendingCheckpoint(CheckpointType.Training, "step1");
        var request = Claimed(RequestKind.SaveWeights, new SaveWeightsPayload("step1", false, null));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Failed);
        request.ErrorCategory.Should().Be(FailureCategory.Server);
        checkpoint.Status.Should().Be(CheckpointStatus.Failed);
        checkpoint.IsVisible(_time.GetUtcNow()).Should().BeFalse();
        _storage.Artifacts.Should().BeEmpty();
        _storage.OpenStaged.Should().Be(0, "the staged write is discarded");
    }

    [Fact]
    public async Task A_save_onto_an_existing_artifact_without_overwrite_fails_as_a_user_error()
    {
        _backend.Models.Add(Model);
        var checkpoint = PendingCheckpoint(CheckpointType.Training, "taken");
        _storage.Artifacts[checkpoint.Path] = [1, 2, 3];
        var request = Claimed(RequestKind.SaveWeights, new SaveWeightsPayload("taken", false, null));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Failed);
        request.ErrorCategory.Should().Be(FailureCategory.User);
        request.Error.Should().Contain("already exists");
        checkpoint.Status.Should().Be(CheckpointStatus.Failed);
        _storage.Artifacts[checkpoint.Path].Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task A_save_with_overwrite_replaces_the_artifact()
    {
        _backend.Models.Add(Model);
        var checkpoint = PendingCheckpoint(CheckpointType.Training, "taken");
        _storage.Artifacts[checkpoint.Path] = [1, 2, 3];
        var request = Claimed(RequestKind.SaveWeights, new SaveWeightsPayload("taken", true, null));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        Encoding.UTF8.GetString(_storage.Artifacts[checkpoint.Path]).Should().StartWith("training-checkpoint");
        checkpoint.Status.Should().Be(CheckpointStatus.Completed);
    }

    [Fact]
    public async Task A_persistent_sampler_save_writes_a_sampler_checkpoint()
    {
        _backend.Models.Add(Model);
        var checkpoint = PendingCheckpoint(CheckpointType.Sampler, "s1");
        var request = Claimed(RequestKind.SaveWeightsForSampler, new SaveWeightsForSamplerPayload("s1", null, null));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        Json(request).GetProperty("path").GetString().Should().Be($"tinker://{Model}/sampler_weights/s1");
        Json(request).GetProperty("sampling_session_id").ValueKind.Should().Be(JsonValueKind.Null);
        checkpoint.Status.Should().Be(CheckpointStatus.Completed);
        Encoding.UTF8.GetString(_storage.Artifacts[checkpoint.Path]).Should().StartWith("sampler-checkpoint");
    }

    [Fact]
    public async Task An_ephemeral_sampler_save_snapshots_the_model_into_a_sampler_and_writes_nothing()
    {
        _backend.Models.Add(Model);
        var samplerId = SamplingSession.IdFor(Session, 2);
        var request = Claimed(RequestKind.SaveWeightsForSampler, new SaveWeightsForSamplerPayload(null, samplerId, null));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        Json(request).GetProperty("sampling_session_id").GetString().Should().Be(samplerId);
        Json(request).GetProperty("path").ValueKind.Should().Be(JsonValueKind.Null);
        _backend.Samplers[samplerId].Source.Should().Be(Model);
        var row = _samplers.Rows.Should().ContainSingle().Subject;
        row.Id.Should().Be(samplerId);
        row.SourceModelId.Should().Be(Model);
        row.SessionId.Should().Be(Session);
        row.BaseModel.Should().Be("tiny");
        _storage.Artifacts.Should().BeEmpty();
        _checkpoints.Rows.Should().BeEmpty();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Load_weights_hands_the_checkpoint_bytes_and_the_optimizer_flag_to_the_backend(bool optimizer)
    {
        _backend.Models.Add(Model);
        var source = CompletedCheckpoint(TrainingRunId.Parse("other:train:0"), CheckpointType.Training, "final", [9, 8, 7]);
        var request = Claimed(RequestKind.LoadWeights, new LoadWeightsPayload(source.Path.TinkerPath, optimizer), seq: 1);

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        var load = _backend.Loads.Should().ContainSingle().Subject;
        load.Model.Should().Be(Model);
        load.Bytes.Should().Equal(9, 8, 7);
        load.Optimizer.Should().Be(optimizer);
        Json(request).GetProperty("path").GetString().Should().Be(source.Path.TinkerPath);
        Json(request).GetProperty("model_id").GetString().Should().Be(Model.Value);
    }

    [Fact]
    public async Task Load_weights_into_a_model_without_adapter_creates_it_from_the_run_first()
    {
        var source = CompletedCheckpoint(Model, CheckpointType.Training, "final", [1]);
        var request = Claimed(RequestKind.LoadWeights, new LoadWeightsPayload(source.Path.TinkerPath, true), seq: 0);

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        _backend.Calls.Should().Equal($"create {Model}", $"load {Model}");
        _backend.Created[Model].Lora.Rank.Should().Be(4);
    }

    [Fact]
    public async Task Load_weights_of_a_checkpoint_still_being_created_is_a_user_error()
    {
        _backend.Models.Add(Model);
        var pending = PendingCheckpoint(CheckpointType.Training, "wip");
        var request = Claimed(RequestKind.LoadWeights, new LoadWeightsPayload(pending.Path.TinkerPath, false));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Failed);
        request.ErrorCategory.Should().Be(FailureCategory.User);
        request.Error.Should().Contain("still being created");
        _backend.Loads.Should().BeEmpty();
    }

    [Fact]
    public async Task Load_weights_of_a_sampler_checkpoint_is_a_user_error()
    {
        _backend.Models.Add(Model);
        var sampler = CompletedCheckpoint(Model, CheckpointType.Sampler, "s", [1]);
        var request = Claimed(RequestKind.LoadWeights, new LoadWeightsPayload(sampler.Path.TinkerPath, false));

        await _executor.ExecuteAsync([request], default);

        request.ErrorCategory.Should().Be(FailureCategory.User);
        request.Error.Should().Contain("training checkpoint");
    }

    [Fact]
    public async Task Unload_frees_the_adapter_and_keeps_the_checkpoints()
    {
        _backend.Models.Add(Model);
        var kept = CompletedCheckpoint(Model, CheckpointType.Training, "final", [1, 2]);
        var request = Claimed(RequestKind.UnloadModel, new UnloadModelPayload(Model.Value));

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        Json(request).GetProperty("model_id").GetString().Should().Be(Model.Value);
        _backend.IsLoaded(Model).Should().BeFalse();
        _runs.Rows.Single().Status.Should().Be(TrainingRunStatus.Unloaded);
        _checkpoints.Rows.Should().ContainSingle().Which.Should().BeSameAs(kept);
        _storage.Artifacts.Should().ContainKey(kept.Path);
    }

    [Fact]
    public async Task Sampling_a_base_model_session_loads_the_sampler_once()
    {
        var samplerId = SamplingSession.IdFor(Session, 0);
        _samplers.Add(SamplingSession.ForBaseModel(samplerId, Session, "tiny", _time.GetUtcNow()));
        var first = Claimed(RequestKind.Sample, Sample(2), samplerId: samplerId);
        var second = Claimed(RequestKind.Sample, Sample(1), samplerId: samplerId);

        await _executor.ExecuteAsync([first, second], default);

        first.Status.Should().Be(FutureStatus.Completed);
        Json(first).GetProperty("sequences").GetArrayLength().Should().Be(2);
        Json(first).GetProperty("sequences")[0].GetProperty("stop_reason").GetString().Should().Be("length");
        _backend.Calls.Should().Equal($"create_sampler {samplerId}", $"sample {samplerId}", $"sample {samplerId}");
        _backend.Samplers[samplerId].Adapter.Should().BeNull();
    }

    [Fact]
    public async Task Sampling_a_checkpoint_session_loads_the_sampler_checkpoint_artifact()
    {
        var checkpoint = CompletedCheckpoint(Model, CheckpointType.Sampler, "s1", [5, 6]);
        var samplerId = SamplingSession.IdFor(Session, 1);
        _samplers.Add(SamplingSession.ForCheckpoint(samplerId, Session, "tiny", checkpoint.Path, _time.GetUtcNow()));
        var request = Claimed(RequestKind.Sample, Sample(1), samplerId: samplerId);

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Completed);
        _backend.Samplers[samplerId].Adapter.Should().Equal(5, 6);
    }

    [Fact]
    public async Task Sampling_an_ephemeral_session_lost_by_a_restart_is_a_clear_user_error()
    {
        var samplerId = SamplingSession.IdFor(Session, 3);
        _samplers.Add(SamplingSession.Ephemeral(samplerId, Session, "tiny", Model, _time.GetUtcNow()));
        var request = Claimed(RequestKind.Sample, Sample(1), samplerId: samplerId);

        await _executor.ExecuteAsync([request], default);

        request.Status.Should().Be(FutureStatus.Failed);
        request.ErrorCategory.Should().Be(FailureCategory.User);
        request.Error.Should().Contain("no longer loaded");
    }

    [Fact]
    public async Task Sampling_an_unknown_session_is_a_user_error()
    {
        var request = Claimed(RequestKind.Sample, Sample(1), samplerId: "nope:sample:0");

        await _executor.ExecuteAsync([request], default);

        request.ErrorCategory.Should().Be(FailureCategory.User);
        request.Error.Should().Contain("not found");
    }

    [Fact]
    public async Task Cancellation_leaves_the_request_running_and_the_checkpoint_pending()
    {
        _backend.Models.Add(Model);
        _backend.SaveFailure = new OperationCanceledException();
        var checkpoint = PendingCheckpoint(CheckpointType.Training, "step1");
        var request = Claimed(RequestKind.SaveWeights, new SaveWeightsPayload("step1", false, null));
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        var act = () => _executor.ExecuteAsync([request], stopping.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        request.Status.Should().Be(FutureStatus.Running);
        checkpoint.Status.Should().Be(CheckpointStatus.Pending);
    }

    [Fact]
    public void The_persistent_save_path_of_a_request_names_its_checkpoint()
    {
        RequestExecutor.PersistentSavePath(Claimed(RequestKind.SaveWeights, new SaveWeightsPayload("a", false, null)))
            .Should().Be(new CheckpointPath(Model, CheckpointType.Training, CheckpointName.Parse("a")));
        RequestExecutor.PersistentSavePath(Claimed(RequestKind.SaveWeightsForSampler, new SaveWeightsForSamplerPayload("b", null, null)))
            .Should().Be(new CheckpointPath(Model, CheckpointType.Sampler, CheckpointName.Parse("b")));
        RequestExecutor.PersistentSavePath(Claimed(RequestKind.SaveWeightsForSampler, new SaveWeightsForSamplerPayload(null, "s:sample:0", null)))
            .Should().BeNull();
        RequestExecutor.PersistentSavePath(Claimed(RequestKind.OptimStep, new OptimStepPayload(new AdamParams()))).Should().BeNull();
    }

    internal static FutureRequest NewRequest(
        string id, RequestKind kind, object payload, string? modelId, long? seq = null, string? samplerId = null, DateTimeOffset? at = null)
    {
        var json = FutureJson.Serialize(payload);
        return FutureRequest.Create(id, kind, modelId, samplerId, seq, null, json, FutureJson.Hash(json), at ?? DateTimeOffset.UnixEpoch);
    }

    private FutureRequest Claimed(RequestKind kind, object payload, long? seq = null, string? samplerId = null)
    {
        var request = NewRequest($"req{_next++}", kind, payload, kind == RequestKind.Sample ? null : Model.Value, seq, samplerId, _time.GetUtcNow());
        request.Start("worker", _time.GetUtcNow());
        return request;
    }

    private Checkpoint PendingCheckpoint(CheckpointType type, string name)
    {
        var checkpoint = Checkpoint.CreatePending(new CheckpointPath(Model, type, CheckpointName.Parse(name)), _time.GetUtcNow(), name == "step1" ? 3600 : null);
        _checkpoints.Add(checkpoint);
        return checkpoint;
    }

    private Checkpoint CompletedCheckpoint(TrainingRunId run, CheckpointType type, string name, byte[] bytes)
    {
        var checkpoint = Checkpoint.CreateCompleted(new CheckpointPath(run, type, CheckpointName.Parse(name)), _time.GetUtcNow(), bytes.Length);
        _checkpoints.Add(checkpoint);
        _storage.Artifacts[checkpoint.Path] = bytes;
        return checkpoint;
    }

    private static ForwardBackwardPayload FwdBwd(params int[][] datums) =>
        new(new ForwardBackwardBatch(
            datums.Select(t => new Datum(t, new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts(t.Select(x => (long)x).ToArray()) })).ToList(),
            LossFunctions.CrossEntropy,
            new Dictionary<string, double>()));

    private static SamplePayload Sample(int n) => new(new SampleInput([1, 2, 3], n, new SamplingParams(4, 1, []), false, 0));

    private static JsonElement Json(FutureRequest request)
    {
        request.Result.Should().NotBeNull($"request {request.Id} should have completed, but: {request.Error}");
        return JsonDocument.Parse(request.Result!).RootElement;
    }

    private static float[][] Logprobs(FutureRequest request) =>
        FutureJson.Deserialize<ForwardBackwardOutput>(request.Result!).LossFnOutputs.Select(o => o["logprobs"].Floats!).ToArray();

    private static double Metric(FutureRequest request, string key) => Json(request).GetProperty("metrics").GetProperty(key).GetDouble();
}
