using Microsoft.Extensions.Logging;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Application.Common;
using TinkerServer.Application.Futures;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Engine;

/// <summary>
/// Executes a claimed work item on the backend and sets each request's outcome (and the checkpoint,
/// sampling session and run changes that go with it). It never commits: the engine worker stores all of
/// it in one transaction, so a save's checkpoint row and its future become completed together.
/// </summary>
/// <remarks>
/// A batch of forward/forward_backward requests runs one backend call per request, in seq order, inside the
/// one claim. Concatenating the datums into one call would split loss_fn_outputs exactly but not the metrics
/// (sums and means over the combined batch belong to no single request), and one bad datum would fail every
/// request of the batch. Per-request calls keep each result exact and each failure to its own request.
/// </remarks>
public sealed class RequestExecutor(
    ITrainingBackend backend,
    IArtifactStorage storage,
    ICheckpointRepository checkpoints,
    ITrainingRunRepository runs,
    ISamplingSessionRepository samplers,
    TimeProvider time,
    ILogger<RequestExecutor> logger)
{
    /// <summary>
    /// Runs every request of the batch in order and completes or fails each. Only cancellation escapes
    /// (the worker is stopping): unfinished requests stay running and are requeued at the next start-up.
    /// </summary>
    public async Task ExecuteAsync(IReadOnlyList<FutureRequest> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var request in batch)
        {
            try
            {
                var result = await ExecuteOneAsync(request, cancellationToken);
                request.Complete(result, time.GetUtcNow());
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (IsUserError(ex))
            {
                request.Fail(ex.Message, FailureCategory.User, time.GetUtcNow());
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Request {RequestId} ({Kind}) failed on the server", request.Id, request.Kind);
                request.Fail(ServerErrorMessage(request, ex), FailureCategory.Server, time.GetUtcNow());
            }
        }
    }

    /// <summary>
    /// The checkpoint a persistent save writes, or null for other requests (and ephemeral sampler saves).
    /// Start-up recovery uses it to fail the save requests whose pending checkpoint it failed.
    /// </summary>
    public static CheckpointPath? PersistentSavePath(FutureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (type, name) = request.Kind switch
        {
            RequestKind.SaveWeights => (CheckpointType.Training, FutureJson.Deserialize<SaveWeightsPayload>(request.Payload).Name),
            RequestKind.SaveWeightsForSampler => (CheckpointType.Sampler, FutureJson.Deserialize<SaveWeightsForSamplerPayload>(request.Payload).Name),
            _ => (CheckpointType.Training, null),
        };
        return name is null || request.ModelId is null
            ? null
            : new CheckpointPath(TrainingRunId.Parse(request.ModelId), type, CheckpointName.Parse(name));
    }

    /// <summary>Errors the client caused or can fix; the SDK raises these at once instead of retrying.</summary>
    private static bool IsUserError(Exception ex) =>
        ex is InvalidComputeRequestException or DomainException or RequestRejectedException or NotFoundException or ArtifactExistsException;

    private static string ServerErrorMessage(FutureRequest request, Exception ex) =>
        $"The server failed to execute {request.Kind} request {request.Id} ({ex.GetType().Name}); see the server log.";

    private async Task<string> ExecuteOneAsync(FutureRequest request, CancellationToken cancellationToken) =>
        request.Kind switch
        {
            RequestKind.CreateModel => await CreateModelAsync(request, cancellationToken),
            RequestKind.ForwardBackward or RequestKind.Forward => await ForwardAsync(request, cancellationToken),
            RequestKind.OptimStep => await OptimStepAsync(request, cancellationToken),
            RequestKind.SaveWeights => await SaveWeightsAsync(request, cancellationToken),
            RequestKind.SaveWeightsForSampler => await SaveWeightsForSamplerAsync(request, cancellationToken),
            RequestKind.LoadWeights => await LoadWeightsAsync(request, cancellationToken),
            RequestKind.UnloadModel => await UnloadModelAsync(request, cancellationToken),
            RequestKind.Sample => await SampleAsync(request, cancellationToken),
            _ => throw new InvalidOperationException($"Unknown request kind {request.Kind}."),
        };

    private async Task<string> CreateModelAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = ModelOf(request);
        var payload = FutureJson.Deserialize<CreateModelPayload>(request.Payload);
        if (!backend.IsLoaded(modelId))
        {
            await backend.CreateModelAsync(modelId, payload.BaseModel, payload.Lora, cancellationToken);
        }

        return FutureJson.Serialize(new CreateModelResult(modelId.Value));
    }

    private async Task<string> ForwardAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = LoadedModelOf(request);
        var batch = FutureJson.Deserialize<ForwardBackwardPayload>(request.Payload).Batch;
        var output = request.Kind == RequestKind.Forward
            ? await backend.ForwardAsync(modelId, batch, cancellationToken)
            : await backend.ForwardBackwardAsync(modelId, batch, cancellationToken);
        if (output.LossFnOutputs.Count != batch.Data.Count)
        {
            throw new InvalidOperationException(
                $"The backend returned {output.LossFnOutputs.Count} loss_fn_outputs for {batch.Data.Count} datums.");
        }

        return FutureJson.Serialize(output);
    }

    private async Task<string> OptimStepAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = LoadedModelOf(request);
        var payload = FutureJson.Deserialize<OptimStepPayload>(request.Payload);
        var output = await backend.OptimStepAsync(modelId, payload.AdamParams, cancellationToken);
        return FutureJson.Serialize(output);
    }

    private async Task<string> SaveWeightsAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = LoadedModelOf(request);
        var payload = FutureJson.Deserialize<SaveWeightsPayload>(request.Payload);
        var path = new CheckpointPath(modelId, CheckpointType.Training, CheckpointName.Parse(payload.Name));
        await WriteCheckpointAsync(
            path,
            payload.Overwrite,
            (stream, ct) => backend.SaveTrainingCheckpointAsync(modelId, stream, ct),
            cancellationToken);
        return FutureJson.Serialize(new SaveWeightsResult(path.TinkerPath));
    }

    private async Task<string> SaveWeightsForSamplerAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = LoadedModelOf(request);
        var payload = FutureJson.Deserialize<SaveWeightsForSamplerPayload>(request.Payload);
        if (payload.Name is { } name)
        {
            var path = new CheckpointPath(modelId, CheckpointType.Sampler, CheckpointName.Parse(name));
            await WriteCheckpointAsync(
                path,
                overwrite: false,
                (stream, ct) => backend.SaveSamplerCheckpointAsync(modelId, stream, ct),
                cancellationToken);
            return FutureJson.Serialize(new SaveWeightsForSamplerResult(path.TinkerPath, null));
        }

        // Ephemeral: the weights only need to reach a sampler; nothing is written that a user must clean up.
        var samplerId = payload.SamplingSessionId ?? request.SamplingSessionId
            ?? throw new RequestRejectedException("save_weights_for_sampler needs either a path (name) or a sampling_session_seq_id.");
        var run = await runs.FindAsync(modelId, cancellationToken)
            ?? throw new NotFoundException($"Training run '{modelId}' not found.");
        await backend.CreateSamplerFromModelAsync(samplerId, modelId, cancellationToken);
        if (await samplers.FindAsync(samplerId, cancellationToken) is null)
        {
            samplers.Add(SamplingSession.Ephemeral(samplerId, SessionOf(run, samplerId), run.BaseModel, modelId, time.GetUtcNow()));
        }

        return FutureJson.Serialize(new SaveWeightsForSamplerResult(null, samplerId));
    }

    /// <summary>
    /// The backend writes into a staged artifact, which is then published in one rename; only then does the
    /// pending row (committed by the API with the request) become completed with the artifact's size.
    /// </summary>
    private async Task WriteCheckpointAsync(
        CheckpointPath path,
        bool overwrite,
        Func<Stream, CancellationToken, Task> write,
        CancellationToken cancellationToken)
    {
        var checkpoint = await checkpoints.FindAsync(path, cancellationToken)
            ?? throw new InvalidOperationException($"No checkpoint row for {path}; the save must be enqueued with its pending row.");
        if (checkpoint.Status != CheckpointStatus.Pending)
        {
            throw new InvalidOperationException($"Checkpoint {path} is {checkpoint.Status}, not pending.");
        }

        try
        {
            long size;
            await using (var staged = await storage.BeginWriteAsync(path, cancellationToken))
            {
                await write(staged.Content, cancellationToken);
                size = await staged.CommitAsync(overwrite, cancellationToken);
            }

            checkpoint.Complete(size, time.GetUtcNow());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the row stays pending and start-up recovery fails it and removes the staged leftover.
            throw;
        }
        catch (ArtifactExistsException)
        {
            const string exists = "already exists; save with overwrite=True to replace it, or choose another name.";
            checkpoint.Fail($"Checkpoint {path} {exists}", time.GetUtcNow());
            throw new RequestRejectedException($"Checkpoint {path} {exists}");
        }
        catch (Exception ex)
        {
            checkpoint.Fail(IsUserError(ex) ? ex.Message : $"Writing the checkpoint failed ({ex.GetType().Name}).", time.GetUtcNow());
            throw;
        }
    }

    private async Task<string> LoadWeightsAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = ModelOf(request);
        var payload = FutureJson.Deserialize<LoadWeightsPayload>(request.Payload);
        var path = CheckpointPath.ParseTinkerPath(payload.Path);
        if (path.Type != CheckpointType.Training)
        {
            throw new RequestRejectedException(
                $"load_weights needs a training checkpoint (tinker://<run>/weights/<name>), got {path}.");
        }

        var checkpoint = await checkpoints.FindAsync(path, cancellationToken)
            ?? throw new NotFoundException($"Checkpoint {path} not found.");
        checkpoint.EnsureReadable(); // pending: "still being created"; failed: its error
        await using var content = await storage.OpenReadAsync(path, cancellationToken)
            ?? throw new InvalidOperationException($"The artifact of completed checkpoint {path} is missing.");

        // A load may be the first thing to touch the adapter (create-via-load, or a run whose adapter a restart
        // lost): create it from the run's own configuration, then replace its weights.
        if (!backend.IsLoaded(modelId))
        {
            var run = await runs.FindAsync(modelId, cancellationToken)
                ?? throw new NotFoundException($"Training run '{modelId}' not found.");
            await backend.CreateModelAsync(modelId, run.BaseModel, run.Lora, cancellationToken);
        }

        await backend.LoadTrainingCheckpointAsync(modelId, content.Stream, payload.Optimizer, cancellationToken);
        return FutureJson.Serialize(new LoadWeightsResult(path.TinkerPath, modelId.Value));
    }

    private async Task<string> UnloadModelAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var modelId = ModelOf(request);
        await backend.UnloadModelAsync(modelId, cancellationToken);

        // Unloading frees compute only: the run's checkpoints stay.
        (await runs.FindAsync(modelId, cancellationToken))?.Unload();
        return FutureJson.Serialize(new UnloadModelResult(modelId.Value));
    }

    private async Task<string> SampleAsync(FutureRequest request, CancellationToken cancellationToken)
    {
        var samplerId = request.SamplingSessionId
            ?? throw new RequestRejectedException("A sample request needs a sampling_session_id.");
        var payload = FutureJson.Deserialize<SamplePayload>(request.Payload);
        if (!backend.HasSampler(samplerId))
        {
            await LoadSamplerAsync(samplerId, cancellationToken);
        }

        var output = await backend.SampleAsync(samplerId, payload.Input, cancellationToken);
        return FutureJson.Serialize(output);
    }

    /// <summary>Samplers live in backend memory; after a restart they are rebuilt from their session row.</summary>
    private async Task LoadSamplerAsync(string samplerId, CancellationToken cancellationToken)
    {
        var session = await samplers.FindAsync(samplerId, cancellationToken)
            ?? throw new NotFoundException($"Sampling session '{samplerId}' not found.");
        if (session.ModelPath is { } path)
        {
            var checkpoint = await checkpoints.FindAsync(path, cancellationToken)
                ?? throw new NotFoundException($"Checkpoint {path} of sampling session '{samplerId}' no longer exists.");
            checkpoint.EnsureReadable();
            await using var content = await storage.OpenReadAsync(path, cancellationToken)
                ?? throw new NotFoundException($"Checkpoint {path} of sampling session '{samplerId}' no longer exists.");
            await backend.CreateSamplerAsync(samplerId, session.BaseModel, content.Stream, cancellationToken);
        }
        else if (session.SourceModelId is { } source)
        {
            throw new RequestRejectedException(
                $"The weights of ephemeral sampling session '{samplerId}' (from run '{source}') are no longer loaded (the server restarted or the session expired); " +
                "call save_weights_and_get_sampling_client again.");
        }
        else
        {
            await backend.CreateSamplerAsync(samplerId, session.BaseModel, null, cancellationToken);
        }
    }

    private static TrainingRunId ModelOf(FutureRequest request) =>
        TrainingRunId.Parse(request.ModelId ?? throw new InvalidOperationException($"{request.Kind} request {request.Id} has no model id."));

    private TrainingRunId LoadedModelOf(FutureRequest request)
    {
        var modelId = ModelOf(request);
        return backend.IsLoaded(modelId)
            ? modelId
            : throw new RequestRejectedException(
                $"Model '{modelId}' is not loaded (it was unloaded, or the server restarted); create a new training client or load a checkpoint.");
    }

    private static SessionId SessionOf(TrainingRun run, string samplerId)
    {
        if (run.SessionId is { } session)
        {
            return session;
        }

        var marker = samplerId.IndexOf(":sample:", StringComparison.Ordinal);
        return SessionId.Parse(marker > 0 ? samplerId[..marker] : samplerId);
    }
}

/// <summary>A request the engine refuses as sent (user error category): the client must change something.</summary>
public sealed class RequestRejectedException(string message) : Exception(message);
