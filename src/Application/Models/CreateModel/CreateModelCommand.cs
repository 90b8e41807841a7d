using System.Security.Cryptography;
using System.Text;
using Mediator;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Futures;
using TinkerServer.Application.Sessions;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Futures;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Models.CreateModel;

/// <summary>create_model: a LoRA training run "{session}:train:{model_seq_id}", created by the engine.</summary>
public sealed record CreateModelCommand(
    string SessionId,
    long ModelSeqId,
    string BaseModel,
    int? Rank,
    long? Seed,
    bool TrainAttn,
    bool TrainMlp,
    bool TrainUnembed,
    IReadOnlyDictionary<string, string>? UserMetadata) : ICommand<FutureHandle>
{
    public const int DefaultRank = 32;
}

public sealed class CreateModelCommandHandler(
    SessionAccess sessions,
    ITrainingRunRepository runs,
    ITrainingBackend backend,
    FutureEnqueuer enqueuer,
    ICurrentCaller caller,
    TimeProvider time) : ICommandHandler<CreateModelCommand, FutureHandle>
{
    public async ValueTask<FutureHandle> Handle(CreateModelCommand command, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(command.SessionId, requireActive: true, cancellationToken);
        var modelId = TrainingRunId.ForSession(session.Id, command.ModelSeqId);
        var baseModel = backend.BaseModels.FirstOrDefault(m => m.Name == command.BaseModel)
            ?? throw new DomainRuleViolationException(
                $"Base model '{command.BaseModel}' is not served here; available: {string.Join(", ", backend.BaseModels.Select(m => m.Name))}.");
        var lora = LoraConfig.Create(
            command.Rank ?? CreateModelCommand.DefaultRank,
            command.Seed ?? DefaultSeed(modelId),
            command.TrainAttn,
            command.TrainMlp,
            command.TrainUnembed);

        var payload = new CreateModelPayload(baseModel.Name, lora);
        var future = await enqueuer.EnqueueAsync(
            new NewFuture(RequestKind.CreateModel, modelId.Value, null, null, FutureEnqueuer.CreateModelKey(modelId.Value), payload),
            _ =>
            {
                runs.Add(TrainingRun.Create(modelId, session.Id, baseModel.Name, lora, caller.Owner, time.GetUtcNow(), command.UserMetadata));
                return Task.FromResult<string?>(null);
            },
            cancellationToken);
        return new FutureHandle(future.RequestId, modelId.Value);
    }

    /// <summary>Without a client seed the run's id picks one, so a retried create_model is the same request.</summary>
    private static long DefaultSeed(TrainingRunId modelId) =>
        BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(modelId.Value))) & int.MaxValue;
}
