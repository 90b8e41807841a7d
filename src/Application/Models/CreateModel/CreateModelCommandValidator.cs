using FluentValidation;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Models.CreateModel;

public sealed class CreateModelCommandValidator : AbstractValidator<CreateModelCommand>
{
    public CreateModelCommandValidator()
    {
        RuleFor(c => c.SessionId).NotEmpty().WithMessage("session_id is required.");
        RuleFor(c => c.ModelSeqId).GreaterThanOrEqualTo(0).WithMessage("model_seq_id must not be negative.");
        RuleFor(c => c.BaseModel).NotEmpty().WithMessage("base_model is required.");
        RuleFor(c => c.Rank).InclusiveBetween(1, LoraConfig.MaxRank).When(c => c.Rank is not null)
            .WithMessage($"lora_config.rank must be between 1 and {LoraConfig.MaxRank}.");
        RuleFor(c => c).Must(c => c.TrainAttn || c.TrainMlp || c.TrainUnembed)
            .WithMessage("At least one of train_attn, train_mlp and train_unembed must be true.");
        RuleFor(c => c.Seed).GreaterThanOrEqualTo(0).When(c => c.Seed is not null).WithMessage("lora_config.seed must not be negative.");
    }
}
