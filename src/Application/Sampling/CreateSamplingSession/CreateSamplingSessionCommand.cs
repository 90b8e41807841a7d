using Mediator;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Checkpoints;
using TinkerServer.Application.Common;
using TinkerServer.Application.Sessions;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.Sampling;

namespace TinkerServer.Application.Sampling.CreateSamplingSession;

/// <summary>A sampler "{session}:sample:{n}" on a base model or a sampler checkpoint (base model inferred).</summary>
public sealed record CreateSamplingSessionCommand(
    string SessionId,
    long SamplingSessionSeqId,
    string? BaseModel,
    string? ModelPath) : ICommand<SamplerResult>;

public sealed class CreateSamplingSessionCommandHandler(
    SessionAccess sessions,
    ISamplingSessionRepository samplers,
    CheckpointReadAccess checkpoints,
    ITrainingBackend backend,
    IUnitOfWork unitOfWork,
    TimeProvider time) : ICommandHandler<CreateSamplingSessionCommand, SamplerResult>
{
    public async ValueTask<SamplerResult> Handle(CreateSamplingSessionCommand command, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(command.SessionId, requireActive: true, cancellationToken);
        var id = SamplingSession.IdFor(session.Id, command.SamplingSessionSeqId);
        var now = time.GetUtcNow();

        SamplingSession sampler;
        if (command.ModelPath is not null)
        {
            // Sampling accepts the legacy tinker://RUN/NAME spelling of a sampler checkpoint.
            var path = CheckpointPath.ParseTinkerPath(command.ModelPath, allowLegacySamplerForm: true);
            if (path.Type != CheckpointType.Sampler)
            {
                throw new InvalidCheckpointPathException(
                    $"model_path must name a sampler checkpoint (tinker://<run>/sampler_weights/<name>), got {path}.");
            }

            var run = (await checkpoints.GetReadableAsync(path, anyCaller: false, cancellationToken)).Run;
            if (command.BaseModel is not null && command.BaseModel != run.BaseModel)
            {
                throw new DomainRuleViolationException(
                    $"base_model '{command.BaseModel}' does not match the checkpoint's base model '{run.BaseModel}'.");
            }

            sampler = SamplingSession.ForCheckpoint(id, session.Id, run.BaseModel, path, now);
        }
        else
        {
            var baseModel = command.BaseModel!;
            if (backend.BaseModels.All(m => m.Name != baseModel))
            {
                throw new DomainRuleViolationException($"Base model '{baseModel}' is not served here.");
            }

            sampler = SamplingSession.ForBaseModel(id, session.Id, baseModel, now);
        }

        var existing = await samplers.FindAsync(id, cancellationToken);
        if (existing is not null)
        {
            // A retry of the same call gets the same sampler; the same seq with other weights is a client bug.
            return existing.BaseModel == sampler.BaseModel && existing.ModelPath == sampler.ModelPath
                ? ToResult(existing)
                : throw new ConflictException($"Sampling session {id} already exists with other weights.");
        }

        samplers.Add(sampler);
        await unitOfWork.SaveChangesAsync(cancellationToken);
        return ToResult(sampler);
    }

    private static SamplerResult ToResult(SamplingSession s) => new(s.Id, s.BaseModel, s.ModelPath?.TinkerPath);
}
