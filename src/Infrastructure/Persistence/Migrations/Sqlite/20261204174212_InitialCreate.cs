using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TinkerServer.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CheckpointTombstones",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TrainingRunId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    DeletedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CheckpointTombstones", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Futures",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ModelId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    SamplingSessionId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    SeqId = table.Column<long>(type: "INTEGER", nullable: true),
                    DedupKey = table.Column<string>(type: "TEXT", maxLength: 574, nullable: true),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    PayloadHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Result = table.Column<string>(type: "TEXT", nullable: true),
                    Error = table.Column<string>(type: "TEXT", nullable: true),
                    ErrorCategory = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    ClaimedBy = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Futures", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SamplingSessions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    SessionId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    BaseModel = table.Column<string>(type: "TEXT", nullable: false),
                    ModelPath = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    SourceModelId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SamplingSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Sessions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastHeartbeatAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SdkVersion = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    Tags = table.Column<string>(type: "TEXT", nullable: false),
                    UserMetadata = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TrainingRuns",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    SessionId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    BaseModel = table.Column<string>(type: "TEXT", nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastRequestTime = table.Column<long>(type: "INTEGER", nullable: false),
                    UserMetadata = table.Column<string>(type: "TEXT", nullable: false),
                    LoraAlpha = table.Column<double>(type: "REAL", nullable: false),
                    LoraRank = table.Column<int>(type: "INTEGER", nullable: false),
                    LoraSeed = table.Column<long>(type: "INTEGER", nullable: false),
                    LoraTrainAttn = table.Column<bool>(type: "INTEGER", nullable: false),
                    LoraTrainMlp = table.Column<bool>(type: "INTEGER", nullable: false),
                    LoraTrainUnembed = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TrainingRuns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Checkpoints",
                columns: table => new
                {
                    TrainingRunId = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    SizeBytes = table.Column<long>(type: "INTEGER", nullable: true),
                    IsPublic = table.Column<bool>(type: "INTEGER", nullable: false),
                    TtlSeconds = table.Column<long>(type: "INTEGER", nullable: true),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Checkpoints", x => new { x.TrainingRunId, x.Type, x.Name });
                    table.ForeignKey(
                        name: "FK_Checkpoints_TrainingRuns_TrainingRunId",
                        column: x => x.TrainingRunId,
                        principalTable: "TrainingRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CheckpointTombstones_TrainingRunId_Type_Name_IdempotencyKey_DeletedAt",
                table: "CheckpointTombstones",
                columns: new[] { "TrainingRunId", "Type", "Name", "IdempotencyKey", "DeletedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Checkpoints_Status_ExpiresAt",
                table: "Checkpoints",
                columns: new[] { "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Checkpoints_TrainingRunId_Status_CompletedAt",
                table: "Checkpoints",
                columns: new[] { "TrainingRunId", "Status", "CompletedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Futures_DedupKey",
                table: "Futures",
                column: "DedupKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Futures_ModelId_Status_SeqId",
                table: "Futures",
                columns: new[] { "ModelId", "Status", "SeqId" });

            migrationBuilder.CreateIndex(
                name: "IX_Futures_SamplingSessionId_Status",
                table: "Futures",
                columns: new[] { "SamplingSessionId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Futures_Status_CreatedAt",
                table: "Futures",
                columns: new[] { "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_SamplingSessions_SessionId",
                table: "SamplingSessions",
                column: "SessionId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Owner_CreatedAt",
                table: "Sessions",
                columns: new[] { "Owner", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Owner_IdempotencyKey",
                table: "Sessions",
                columns: new[] { "Owner", "IdempotencyKey" });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Status_LastHeartbeatAt",
                table: "Sessions",
                columns: new[] { "Status", "LastHeartbeatAt" });

            migrationBuilder.CreateIndex(
                name: "IX_TrainingRuns_Owner_LastRequestTime",
                table: "TrainingRuns",
                columns: new[] { "Owner", "LastRequestTime" });

            migrationBuilder.CreateIndex(
                name: "IX_TrainingRuns_SessionId",
                table: "TrainingRuns",
                column: "SessionId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CheckpointTombstones");

            migrationBuilder.DropTable(
                name: "Checkpoints");

            migrationBuilder.DropTable(
                name: "Futures");

            migrationBuilder.DropTable(
                name: "SamplingSessions");

            migrationBuilder.DropTable(
                name: "Sessions");

            migrationBuilder.DropTable(
                name: "TrainingRuns");
        }
    }
}
